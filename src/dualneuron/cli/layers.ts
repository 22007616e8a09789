// `dualneuron layers --model NAME`: the module tree with output shapes and parameter counts, module names as
// PyTorch prints them: the names --layer takes.
import { Command, Option } from 'commander';
import { init } from '../../tensor/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { buildTorchvision, isTorchvisionId, TORCHVISION } from '../../models/torchvision/zoo.js';
import { openTwin } from '../twin-source.js';
import { membersOf } from '../units/unit.js';
import { formatLayerTable, layerTable } from '../units/layers.js';
import { weightsDirOption } from './weights.js';

export function registerLayers(program: Command): void {
  program
    .command('layers')
    .description('the module tree of a model: names as PyTorch prints them (what --layer takes), types, output shapes for one image, parameter counts')
    .addOption(new Option('--model <id|dir>', 'vgg16, vgg16_bn, resnet50, vit_b_16 (no weights needed), or a twin: v1, v4, v4g or a trained twin folder (its weights are read; the tree is one member\'s, which is what --layer names in every member)').makeOptionMandatory())
    .option('--json <file>', 'also write the table as JSON: [{name, type, shape, params}]')
    .addOption(weightsDirOption())
    .addHelpText('after', '\nOutput shapes come from forward hooks on one pass of a zero image; "-" marks a module the forward pass never calls\n' +
      '(as nn.MultiheadAttention\'s out_proj, whose weights torch uses directly). A module called more than once shows its last call.')
    .action(async (o: { model: string; json?: string; weightsDir?: string }) => {
      const backend = await init('webgpu');
      let rows;
      if (isTorchvisionId(o.model)) {
        console.error(`${o.model}: building ${TORCHVISION[o.model].what} (zero weights) and running one 224x224 image...`);
        const m = buildTorchvision(o.model, { backend });
        try { rows = layerTable(m, TORCHVISION[o.model].inputShape); } finally { m.dispose(); }
      } else {
        const twin = openTwin(o.model, { backend, weightsDir: o.weightsDir });
        try { rows = layerTable(membersOf(twin.model as never)[0], twin.inputShape); } finally { twin.dispose(); }
      }
      console.log(formatLayerTable(rows));
      if (o.json) { writeFileAtomic(o.json, JSON.stringify(rows, null, 1) + '\n'); console.error(`wrote ${o.json}`); }
    });
}
