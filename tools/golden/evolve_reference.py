#!/usr/bin/python3
"""NumPy float64 reference of the gradient-free optimisers of src/dualneuron/evolve, written from the equations
(../shared/reference/field-anchors.md sections 1.5, 1.6 and 4; Hansen's CMA-ES tutorial 2016; docs/EVOLVE.md), with
dense matrices, independent of the TypeScript code. Every algorithm takes its random numbers from a draw source
in the documented order: the project's Philox4x32-10 stream (reimplemented here, so the TS optimisers can run on
their own seeded generator) or numpy's generator recorded into the fixture (for the TS ReplayDraws injection).

Run: /usr/bin/python3 tools/golden/evolve_reference.py -> test/fixtures/evolve/reference.json
"""
import json, math, os
import numpy as np

M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def philox_blocks(seed, first, count):
    """Philox4x32-10 of counters [b_lo, b_hi, 0, 0] for b in first..first+count-1, key = the seed's two words."""
    b = np.arange(first, first + count, dtype=np.uint64)
    c0, c1 = b & MASK, b >> np.uint64(32)
    c2 = np.zeros_like(b); c3 = np.zeros_like(b)
    k0, k1 = seed & MASK, (seed >> 32) & MASK
    for r in range(10):
        if r > 0:
            k0 = (k0 + W0) & MASK; k1 = (k1 + W1) & MASK
        p0 = np.uint64(M0) * c0
        p1 = np.uint64(M1) * c2
        hi0, lo0 = p0 >> np.uint64(32), p0 & np.uint64(MASK)
        hi1, lo1 = p1 >> np.uint64(32), p1 & np.uint64(MASK)
        c0, c1, c2, c3 = hi1 ^ c1 ^ np.uint64(k0), lo1, hi0 ^ c3 ^ np.uint64(k1), lo0
    return np.stack([c0, c1, c2, c3], axis=1).reshape(-1)


class PhiloxDraws:
    """The HostRng layout: words in block order; uniform = ((w0 >> 5) * 2^26 + (w1 >> 6)) / 2^53;
    normal = sqrt(-2 ln(1 - u1)) cos(2 pi u2) from two consecutive uniforms."""
    def __init__(self, seed):
        self.seed, self.block, self.buf = seed, 0, np.zeros(0, dtype=np.uint64)

    def words(self, n):
        while len(self.buf) < n:
            need = max(1024, (n - len(self.buf) + 3) // 4)
            self.buf = np.concatenate([self.buf, philox_blocks(self.seed, self.block, need)])
            self.block += need
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def uniform(self, n):
        w = self.words(2 * n).reshape(n, 2)
        return ((w[:, 0] >> np.uint64(5)).astype(np.float64) * 67108864.0 + (w[:, 1] >> np.uint64(6)).astype(np.float64)) / 9007199254740992.0

    def normal(self, n):
        u = self.uniform(2 * n).reshape(n, 2)
        return np.array([math.sqrt(-2 * math.log(1 - a)) * math.cos(2 * math.pi * b) for a, b in u])


class NumpyDraws:
    """numpy's generator, recording what was drawn so the TS side can replay it."""
    def __init__(self, seed):
        self.rng, self.normals, self.uniforms = np.random.default_rng(seed), [], []

    def normal(self, n):
        x = self.rng.standard_normal(n); self.normals.extend(x.tolist()); return x

    def uniform(self, n):
        x = self.rng.random(n); self.uniforms.extend(x.tolist()); return x


# ---------------------------------------------------------------- objectives (maximised)
def quadratic(X):
    N = X.shape[1]
    d = np.array([10 ** (2 * i / (N - 1)) for i in range(N)])
    return np.array([-sum(d[i] * (x[i] - 1) ** 2 for i in range(N)) for x in X])


def rosenbrock(X):
    N = X.shape[1]
    return np.array([-sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(N - 1)) for x in X])


OBJECTIVES = {'quadratic': quadratic, 'rosenbrock': rosenbrock}


def desc(s):
    return np.argsort(-s, kind='stable')


def log_weights(mu):
    w = math.log(mu + 0.5) - np.log(np.arange(1, math.floor(mu) + 1))
    return w / w.sum()


# ---------------------------------------------------------------- CholeskyCMAES / HessCMA (dense A, Ainv)
def cholesky_cmaes(f, N, draws, gens, sigma0, init, aupdate=10, A0=None):
    K = N if A0 is None else A0[0].shape[0]
    lam = int(4 + math.floor(3 * math.log2(K)))
    w = log_weights(lam / 2); mu = len(w)
    mueff = w.sum() ** 2 / (w ** 2).sum()
    cc, cs, c1 = 4 / (K + 4), math.sqrt(mueff) / (math.sqrt(mueff) + math.sqrt(K)), 2 / (K + math.sqrt(2)) ** 2
    damps = 1 + cs + 2 * max(0.0, math.sqrt((mueff - 1) / (K + 1)) - 1)
    chiN = math.sqrt(K) * (1 - 1 / (4 * K) + 1 / (21 * K ** 2))
    if A0 is None:
        A, Ainv = np.eye(N), np.eye(N)
    else:
        A, Ainv = A0[0], A0[1]
    ps, pc, sigma = np.zeros(K), np.zeros(N), sigma0
    counteval = eigeneval = 0
    if init.ndim == 1:   # generation 0: one init code, its score ignored
        m = init.copy()
        recs = [dict(mean=m.tolist(), sigma=sigma, best=float(f(m[None])[0]), psNorm=0.0)]
    else:                # several: the weighted mean of the best min(mu, count), weights renormalised
        s0 = f(init)
        n0 = min(mu, len(init))
        w0 = w[:n0] / w[:n0].sum()
        m = w0 @ init[desc(s0)[:n0]]
        recs = [dict(mean=m.tolist(), sigma=sigma, best=float(s0.max()), psNorm=0.0)]
    for g in range(1, gens + 1):
        Z = draws.normal(lam * K).reshape(lam, K)
        X = m + sigma * (Z @ A)
        counteval += lam
        s = f(X)
        idx = desc(s)[:mu]
        m = w @ X[idx]
        zw = w @ Z[idx]
        ps = (1 - cs) * ps + math.sqrt(cs * (2 - cs) * mueff) * zw
        pc = (1 - cc) * pc + math.sqrt(cc * (2 - cc) * mueff) * (zw @ A)
        sigma = sigma * math.exp((cs / damps) * (np.linalg.norm(ps) / chiN - 1))
        if counteval - eigeneval > aupdate * lam:
            eigeneval = counteval
            v = pc @ Ainv
            n = v @ v
            a, r = math.sqrt(1 - c1), math.sqrt(1 + n * c1 / (1 - c1))
            A, Ainv = a * A + (a / n) * (r - 1) * np.outer(v, pc), Ainv / a - (1 / (a * n)) * (1 - 1 / r) * np.outer(Ainv @ v, v)
        recs.append(dict(mean=m.tolist(), sigma=sigma, best=float(s.max()), psNorm=float(np.linalg.norm(ps))))
    draws.normal(lam * K)  # the TS optimiser draws the next population when told, as upstream's step_simple
    return recs, A


# ---------------------------------------------------------------- SphereCMA
def sphere_schedule(mode, n, lim, N):
    if mode == 'inv':
        deg = 15 + 1 / (0.0017 * np.arange(1, n + 1) + 0.0146)
    elif mode == 'lin':
        deg = np.linspace(lim[0], lim[1], n)
    else:
        deg = np.logspace(math.log10(lim[0]), math.log10(lim[1]), n)
    return deg / 180 * math.pi / math.sqrt(N)


def renorm(X, R):
    return R * X / np.linalg.norm(X, axis=1, keepdims=True)


def slerp(a, b, t):
    w = math.acos(min(1.0, max(-1.0, a @ b / np.linalg.norm(a) / np.linalg.norm(b))))
    return (math.sin((1 - t) * w) * a + math.sin(t * w) * b) / math.sin(w)


def sphere_cma(f, N, draws, gens, B, sel, lr, R, mode, ngen, lim):
    mulist = sphere_schedule(mode, ngen, lim, N)
    P = renorm(draws.normal(B * N).reshape(B, N), R)
    recs = []
    for g in range(gens + 1):
        s = f(P)
        if g == 0:
            w = np.zeros(B); w[:B // 2] = log_weights(B / 2)
            wts = np.zeros(B); wts[desc(s)] = w
            wm = wts @ P
            c = R * wm / np.linalg.norm(wm)
        else:
            w = np.zeros(B); w[:sel] = log_weights(sel)
            wts = np.zeros(B); wts[desc(s[1:])] = w
            wm = wts @ P[1:]
            c = slerp(P[0], R * wm / np.linalg.norm(wm), lr)
        mu = mulist[min(g, len(mulist) - 1)]
        U = draws.normal(B * N).reshape(B, N)
        T = mu * (U - np.outer(U @ c, c) / (c @ c))
        ang = np.linalg.norm(T, axis=1, keepdims=True)
        Y = (np.cos(ang) * (c / np.linalg.norm(c)) + np.sin(ang) * T / ang) * np.linalg.norm(c)
        P = renorm(np.vstack([c[None], Y]), R)
        recs.append(dict(centre=c.tolist(), best=float(s.max()), mu=float(mu)))
    return recs


# ---------------------------------------------------------------- XDream GA
def genetic(f, N, draws, gens, pop, rate, size, kTm, skew, nc):
    P = draws.normal(pop * N).reshape(pop, N)
    nm = pop - nc
    recs = []
    for g in range(gens + 1):
        s = f(P)
        kT = max(np.std(s) * kTm, 1e-8)
        o = desc(s)
        S, ss = P[o], s[o]
        fit = np.exp((ss - ss[0]) / kT)
        fit[fit <= 0] = fit[fit > 0].min()
        bins = np.cumsum(fit); bins = bins / bins[-1]
        p1 = np.digitize(draws.uniform(nm), bins)
        p2 = np.digitize(draws.uniform(nm), bins)
        kids = np.empty((nm, N))
        for c in range(nm):
            take = draws.uniform(N) < skew
            kids[c] = np.where(take, S[p1[c]], S[p2[c]])
        mask = draws.uniform(nm * N).reshape(nm, N) < rate
        kids[mask] += size * draws.normal(int(mask.sum()))
        P = np.vstack([S[:nc], kids])
        recs.append(dict(popMean=P.mean(axis=0).tolist(), best=float(s.max()), kT=float(kT)))
    return recs


# ---------------------------------------------------------------- standard CMA-ES (Hansen's tutorial)
def cmaes(f, N, draws, gens, sigma0):
    lam = 4 + int(math.floor(3 * math.log(N)))
    w = log_weights(lam / 2); mu = len(w)
    mueff = w.sum() ** 2 / (w ** 2).sum()
    cc = (4 + mueff / N) / (N + 4 + 2 * mueff / N)
    cs = (mueff + 2) / (N + mueff + 5)
    c1 = 2 / ((N + 1.3) ** 2 + mueff)
    cmu = min(1 - c1, 2 * (mueff - 2 + 1 / mueff) / ((N + 2) ** 2 + mueff))
    damps = 1 + 2 * max(0.0, math.sqrt((mueff - 1) / (N + 1)) - 1) + cs
    chiN = math.sqrt(N) * (1 - 1 / (4 * N) + 1 / (21 * N ** 2))
    m, sigma = np.zeros(N), sigma0
    ps, pc, C = np.zeros(N), np.zeros(N), np.eye(N)
    sqrtC, invsqrtC = np.eye(N), np.eye(N)
    counteval = eigeneval = 0
    recs = []
    for g in range(gens):
        Z = draws.normal(lam * N).reshape(lam, N)
        X = m + sigma * (Z @ sqrtC.T)
        counteval += lam
        s = f(X)
        idx = desc(s)[:mu]
        mold = m
        m = w @ X[idx]
        yw = (m - mold) / sigma
        ps = (1 - cs) * ps + math.sqrt(cs * (2 - cs) * mueff) * (invsqrtC @ yw)
        hsig = float(np.linalg.norm(ps) / math.sqrt(1 - (1 - cs) ** (2 * (g + 1))) < (1.4 + 2 / (N + 1)) * chiN)
        pc = (1 - cc) * pc + hsig * math.sqrt(cc * (2 - cc) * mueff) * yw
        Yb = (X[idx] - mold) / sigma
        C = (1 - c1 - cmu) * C + c1 * (np.outer(pc, pc) + (1 - hsig) * cc * (2 - cc) * C) + cmu * (Yb.T * w) @ Yb
        sigma = sigma * math.exp((cs / damps) * (np.linalg.norm(ps) / chiN - 1))
        if counteval - eigeneval > lam / (c1 + cmu) / N / 10:
            eigeneval = counteval
            C = np.triu(C) + np.triu(C, 1).T
            d, Bm = np.linalg.eigh(C)
            sqrtC = (Bm * np.sqrt(d)) @ Bm.T
            invsqrtC = (Bm / np.sqrt(d)) @ Bm.T
        recs.append(dict(mean=m.tolist(), sigma=sigma, best=float(s.max()), hsig=hsig))
    return recs


def main():
    out = {}
    g = PhiloxDraws(7)
    out['philox'] = {'seed': 7, 'uniform': g.uniform(8).tolist(), 'normal': g.normal(8).tolist()}
    G = 50
    cases = []
    for obj, sigma in [('quadratic', 0.5), ('rosenbrock', 0.3)]:
        recs, _ = cholesky_cmaes(OBJECTIVES[obj], 16, PhiloxDraws(11), G, sigma, np.zeros(16))
        cases.append(dict(algo='cholcma', objective=obj, seed=11, N=16, sigma0=sigma, aUpdateFreq=10, records=recs))
    recs, A = cholesky_cmaes(quadratic, 16, PhiloxDraws(12), G, 0.5, np.zeros(16), aupdate=0)
    cases.append(dict(algo='cholcma', objective='quadratic', seed=12, N=16, sigma0=0.5, aUpdateFreq=0, records=recs, finalA=A.reshape(-1).tolist()))
    # HessCMA: a fixed orthonormal basis E (QR of a seeded matrix) with eigenvalues 2^(j/2)
    rng = np.random.default_rng(5)
    E, _ = np.linalg.qr(rng.standard_normal((16, 16)))
    ev = 2.0 ** (np.arange(16) / 2)
    K, e = 6, 0.4
    top = np.argsort(-ev, kind='stable')[:K]
    scale = ev[top] ** (-e)
    A0 = scale[:, None] * E[:, top].T
    Ainv0 = (1 / scale)[None, :] * E[:, top]
    recs, _ = cholesky_cmaes(quadratic, 16, PhiloxDraws(13), G, 0.5, np.zeros(16), A0=(A0, Ainv0))
    cases.append(dict(algo='hesscma', objective='quadratic', seed=13, N=16, sigma0=0.5, aUpdateFreq=10, topK=K, exponent=e,
                      eigenvalues=ev.tolist(), eigenvectors=E.reshape(-1).tolist(), records=recs))
    for obj in ['quadratic', 'rosenbrock']:
        recs = sphere_cma(OBJECTIVES[obj], 16, PhiloxDraws(21), G, 12, 6, 1.5, 4.0, 'exp', G, (50, 7.33))
        cases.append(dict(algo='spherecma', objective=obj, seed=21, N=16, B=12, select=6, lr=1.5, R=4.0, schedule=['exp', G, [50, 7.33]], records=recs))
    recs = sphere_cma(quadratic, 16, PhiloxDraws(22), G, 12, 6, 1.5, 4.0, 'inv', 30, (50, 7.33))
    cases.append(dict(algo='spherecma', objective='quadratic', seed=22, N=16, B=12, select=6, lr=1.5, R=4.0, schedule=['inv', 30, [50, 7.33]], records=recs))
    for obj in ['quadratic', 'rosenbrock']:
        recs = genetic(OBJECTIVES[obj], 16, PhiloxDraws(31), G, 20, 0.25, 0.75, 2.0, 0.75, 5)
        cases.append(dict(algo='ga', objective=obj, seed=31, N=16, pop=20, rate=0.25, size=0.75, kT=2.0, skew=0.75, conserve=5, records=recs))
    for obj, sigma in [('quadratic', 0.5), ('rosenbrock', 0.3)]:
        recs = cmaes(OBJECTIVES[obj], 12, PhiloxDraws(41), G, sigma)
        cases.append(dict(algo='cma', objective=obj, seed=41, N=12, sigma0=sigma, records=recs))
    init = np.array([[0.1 * ((i * 7 + j * 3) % 5 - 2) for j in range(8)] for i in range(6)])
    recs, _ = cholesky_cmaes(quadratic, 8, PhiloxDraws(14), 20, 0.4, init)
    cases.append(dict(algo='cholcma', objective='quadratic', seed=14, N=8, sigma0=0.4, aUpdateFreq=10, init=init.tolist(), records=recs))
    # injected draws: numpy's generator, recorded and replayed by the TS side
    d = NumpyDraws(123)
    recs, _ = cholesky_cmaes(rosenbrock, 8, d, 12, 0.3, np.zeros(8))
    cases.append(dict(algo='cholcma', objective='rosenbrock', N=8, sigma0=0.3, aUpdateFreq=10, records=recs, normals=d.normals, uniforms=d.uniforms))
    d = NumpyDraws(124)
    recs = genetic(rosenbrock, 6, d, 12, 8, 0.25, 0.75, 2.0, 0.75, 2)
    cases.append(dict(algo='ga', objective='rosenbrock', N=6, pop=8, rate=0.25, size=0.75, kT=2.0, skew=0.75, conserve=2, records=recs, normals=d.normals, uniforms=d.uniforms))
    out['cases'] = cases
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'evolve')
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, 'reference.json'), 'w') as fh:
        json.dump(out, fh)
    print('ok', len(cases), 'cases')


if __name__ == '__main__':
    main()
