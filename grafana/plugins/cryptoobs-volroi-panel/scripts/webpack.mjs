// Runs webpack with the scaffolded .config/webpack/webpack.config.ts on Node 20.
// Node 20 cannot load a .ts config natively, so webpack-cli falls back to ts-node, which needs CommonJS
// module settings (the @grafana/tsconfig base uses ESM/bundler resolution). Extra args are passed through.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = createRequire(import.meta.url).resolve('webpack-cli/bin/cli.js');
const env = {
  ...process.env,
  TS_NODE_COMPILER_OPTIONS: JSON.stringify({ module: 'commonjs', moduleResolution: 'node' }),
};
const args = [cli, '-c', './.config/webpack/webpack.config.ts', ...process.argv.slice(2)];
const result = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
process.exit(result.status ?? 1);
