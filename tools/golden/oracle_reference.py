#!/usr/bin/python3
"""NumPy float64 reference of src/dualneuron/reliability, written from the definitions (not from the TypeScript):
jackknife oracle correlation, the Allen notebook's super_oracle / average_super_oracle (its random draw replaced by
the documented counter-based Philox draw), explainable variance fraction, the notebook's Variance (variance over
images of the per-image mean) and its percentile selection (pandas quantile = numpy 'linear').

It also writes the random data set the tests read, with uneven repeats and the awkward neurons the command must
name instead of scoring (one repeat only, constant responses, one repeated image, no responses at all):
  test/fixtures/oracle/data/      a DATA folder (dataset.json, responses.npy float32 (R, I, N), images.npy uint8)
  test/fixtures/oracle/trials.csv the same responses as the notebook's trial table (its column order:
                                  trial_id, neuron_id, spike_count, image_id; one row per recorded (trial, neuron))
  test/fixtures/oracle/trials.npy the same table as a structured array (np.save of a record array; ids as int64,
                                  text and int32, counts as float64)
  test/fixtures/oracle/expected.json

Run: /usr/bin/python3 tools/golden/oracle_reference.py
"""
import csv, json, os
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', '..', 'test', 'fixtures', 'oracle')
SEED, ITERATIONS = 1234567890123, 20
PERCENTILES = [(60, 50), (25, 10)]

MASK = 0xFFFFFFFF
M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85


def philox(ctr, seed):
    c0, c1, c2, c3 = ctr
    k0, k1 = seed & MASK, (seed >> 32) & MASK
    for r in range(10):
        if r > 0:
            k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
        p0, p1 = M0 * c0, M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & MASK, p1 & MASK, ((p0 >> 32) ^ c3 ^ k1) & MASK, p0 & MASK
    return c0, c1, c2, c3


def draw(seed, t, n, i, count):
    """floor(u * count), u from 53 bits of Philox4x32-10 of counter [image, neuron, iteration, 0x0AC1E]"""
    w = philox((i, n, t, 0x0AC1E), seed)
    u = ((w[0] >> 5) * 67108864 + (w[1] >> 6)) / 9007199254740992.0
    return int(np.floor(u * count))


def pearson(x, y):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def groups_of(resp, n):
    return [resp[:, i, n][~np.isnan(resp[:, i, n])].astype(np.float64) for i in range(resp.shape[1])]


def reference(resp, seed, iterations, percentiles):
    R, I, N = resp.shape
    out = []
    for n in range(N):
        g = groups_of(resp, n)
        rep = [a for a in g if len(a) >= 2]
        shown = [a for a in g if len(a) >= 1]
        row = {'repeats_min': min((len(a) for a in shown), default=0), 'repeats_max': max((len(a) for a in shown), default=0),
               'images': len(shown), 'repeated_images': len(rep)}
        # jackknife: every repeat against the mean of the others, pooled
        if len(rep) >= 2:
            x = np.concatenate(rep)
            loo = np.concatenate([(a.sum() - a) / (len(a) - 1) for a in rep])
            row['oracle'] = pearson(x, loo)
            vals = []
            for t in range(iterations):
                xs, ms = [], []
                for i, a in enumerate(g):
                    if len(a) < 2:
                        continue
                    k = draw(seed, t, n, i, len(a))
                    xs.append(a[k]); ms.append(np.delete(a, k).mean())
                r = pearson(xs, ms)
                vals.append(None if r is None else r * len(xs) / I)
            row['super_oracle'] = vals[0]
            ok = [v for v in vals if v is not None]
            row['average_super_oracle'] = float(np.mean(ok)) if ok else None
            row['super_oracle_iterations'] = len(ok)
            total = np.var(np.concatenate(rep), ddof=1)
            noise = np.mean([np.var(a, ddof=1) for a in rep])
            row['explainable_variance'] = float((total - noise) / total) if total > 0 else None
        else:
            row.update(oracle=None, super_oracle=None, average_super_oracle=None, super_oracle_iterations=0, explainable_variance=None)
        means = [a.mean() for a in shown]
        row['variance'] = float(np.var(means, ddof=1)) if len(means) >= 2 else None
        row['skipped'] = row['oracle'] is None or row['average_super_oracle'] is None or row['variance'] is None
        out.append(row)
    sel = {}
    for by in ['average_super_oracle', 'oracle']:
        for po, pv in percentiles:
            ok = [r for r in out if not r['skipped']]
            qo = float(np.quantile([r[by] for r in ok], po / 100))
            qv = float(np.quantile([r['variance'] for r in ok], pv / 100))
            sel[f'{by}:{po}:{pv}'] = {'oracle_threshold': qo, 'variance_threshold': qv,
                                      'selected': [(not r['skipped']) and r[by] > qo and r['variance'] > qv for r in out]}
    return out, sel


def make_data():
    rng = np.random.default_rng(14)
    R, I, N = 7, 30, 14
    signal = rng.gamma(2.0, 1.5, size=(I, N))
    gain = np.linspace(0.2, 3.0, N)
    rate = 0.5 + gain * signal
    resp = rng.poisson(rate[None].repeat(R, 0)).astype(np.float64)
    resp[:, :, 3] += np.abs(rng.normal(0, 0.5, size=(R, I)))  # a neuron with non-integer values
    # uneven repeats: each image was shown 1..7 times; some neurons miss some trials on top (units that drift out)
    shown = rng.integers(1, R + 1, size=I)
    for i in range(I):
        resp[shown[i]:, i, :] = np.nan
    drop = rng.random((R, I, N)) < 0.12
    drop[:, :, N - 5:] = False
    resp[drop] = np.nan
    resp[0, :, :][np.isnan(resp[0, :, :])] = 1.0                # every image keeps a first trial for every neuron
    resp[:, :, N - 1] = np.where(np.isnan(resp[:, :, N - 1]), np.nan, 2.0)
    resp[1:, :, N - 1] = np.nan                                # one repeat of every image only
    resp[:, :, N - 2] = np.where(np.isnan(resp[:, :, N - 2]), np.nan, 3.0)   # constant
    resp[:, 1:, N - 3] = np.where(np.arange(1, I)[None, :] % 2 == 0, resp[:, 1:, N - 3], np.nan)
    resp[1:, 1:, N - 3] = np.nan                               # only image 0 has repeats
    resp[:, :, N - 4] = np.nan                                 # no responses at all
    resp[:, :, N - 5] = np.round(resp[:, :, N - 5] * 0 + rng.poisson(3.0, size=(R, I)))  # pure noise, same shape
    for i in range(I):
        resp[shown[i]:, i, :] = np.nan
    return resp.astype(np.float32), rng


def main():
    resp, rng = make_data()
    R, I, N = resp.shape
    neuron_ids = [str(951092050 + 37 * n) for n in range(N)]
    image_ids = [str(v) for v in rng.permutation(118)[:I]]
    images = rng.integers(0, 256, size=(I, 6, 8), dtype=np.uint8)
    data = os.path.join(OUT, 'data')
    os.makedirs(data, exist_ok=True)
    np.save(os.path.join(data, 'responses.npy'), resp)
    np.save(os.path.join(data, 'images.npy'), images)
    with open(os.path.join(data, 'dataset.json'), 'w') as f:
        json.dump({'format': 'dualneuron-recorded', 'version': 1, 'images': I, 'neurons': N, 'repeats': R, 'image_shape': [6, 8],
                   'neuron_ids': neuron_ids, 'image_ids': image_ids, 'response_unit': 'spike_count', 'window_s': 0.25,
                   'source': 'tools/golden/oracle_reference.py (random, uneven repeats)'}, f, indent=1)
    # the trial table: trials numbered in time order; within an image, repeat r comes before r + 1
    order = rng.permutation(R * I)
    trial_of = {}
    for k, (r, i) in enumerate(sorted(((r, i) for r in range(R) for i in range(I)), key=lambda ri: order[ri[0] * I + ri[1]])):
        trial_of[(r, i)] = k
    # make trial ids increase with r inside each image (the loader orders an image's trials by trial_id)
    for i in range(I):
        ks = sorted(trial_of[(r, i)] for r in range(R))
        for r in range(R):
            trial_of[(r, i)] = ks[r]
    rows = []
    for r in range(R):
        for i in range(I):
            for n in range(N):
                v = resp[r, i, n]
                if not np.isnan(v):
                    rows.append((51355 + trial_of[(r, i)], neuron_ids[n], repr(float(v)) if n == 3 else str(int(v)), image_ids[i]))
    rows.sort(key=lambda x: (x[0], x[1]))
    with open(os.path.join(OUT, 'trials.csv'), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\r\n')
        w.writerow(['trial_id', 'neuron_id', 'spike_count', 'image_id'])
        w.writerows(rows)
    rec = np.array([(int(t), n, float(v), int(i)) for t, n, v, i in rows],
                   dtype=[('trial_id', '<i8'), ('neuron_id', '<U12'), ('spike_count', '<f8'), ('image_id', '<i4')])
    np.save(os.path.join(OUT, 'trials.npy'), rec)
    neurons, sel = reference(resp, SEED, ITERATIONS, PERCENTILES)
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump({'seed': str(SEED), 'iterations': ITERATIONS, 'percentiles': PERCENTILES, 'neurons': neurons, 'selection': sel,
                   'draws': [[t, n, i, c, draw(SEED, t, n, i, c)] for t, n, i, c in [(0, 0, 0, 7), (3, 5, 11, 4), (19, 13, 29, 2), (7, 2, 100, 1000)]]},
                  f, indent=1)
    print('neurons', N, 'skipped', sum(r['skipped'] for r in neurons), 'rows', len(rows))


if __name__ == '__main__':
    main()
