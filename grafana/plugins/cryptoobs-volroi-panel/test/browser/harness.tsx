/**
 * Browser harness: loads the BUILT plugin (dist/module.js, an AMD module like Grafana loads it) with real React,
 * @grafana/data and @grafana/ui supplied as its externals, and renders the panel with frames posted by the test.
 * Bundled with esbuild by the browser test; not part of the plugin.
 */
import React from 'react';
import * as jsxRuntime from 'react/jsx-runtime';
import * as ReactDOM from 'react-dom';
import { createRoot, Root } from 'react-dom/client';
import { flushSync } from 'react-dom';
import * as emotionCss from '@emotion/css';
import * as grafanaData from '@grafana/data';
import * as grafanaUi from '@grafana/ui';
import {
  applyFieldOverrides,
  createDataFrame,
  createTheme,
  dateTime,
  FieldConfigSource,
  LoadingState,
  PanelPlugin,
  ThemeContext,
  EventBusSrv,
  DataFrameDTO,
} from '@grafana/data';

const EXTERNALS: Record<string, unknown> = {
  react: React,
  'react-dom': ReactDOM,
  'react/jsx-runtime': jsxRuntime,
  '@emotion/css': emotionCss,
  '@grafana/data': grafanaData,
  '@grafana/ui': grafanaUi,
  module: { uri: '/dist/module.js' },
};

type Factory = (...deps: unknown[]) => unknown;
let loaded: Promise<PanelPlugin> | undefined;

/** Minimal AMD loader for the one module webpack emits (`define([...deps], factory)`). */
function loadPlugin(): Promise<PanelPlugin> {
  loaded ??= new Promise((resolve, reject) => {
    (window as unknown as { define: unknown }).define = Object.assign(
      (deps: string[], factory: Factory) => {
        const missing = deps.filter((d) => !(d in EXTERNALS));
        if (missing.length) {
          reject(new Error(`plugin needs unknown externals: ${missing.join(', ')}`));
          return;
        }
        const exports = factory(...deps.map((d) => EXTERNALS[d])) as { plugin: PanelPlugin };
        resolve(exports.plugin);
      },
      { amd: true }
    );
    const script = document.createElement('script');
    script.src = '/dist/module.js';
    script.onerror = () => reject(new Error('could not load /dist/module.js'));
    document.head.appendChild(script);
  });
  return loaded;
}

export interface RenderRequest {
  frames: DataFrameDTO[];
  options: Record<string, unknown>;
  theme: 'light' | 'dark';
  width: number;
  height: number;
  from: number;
  to: number;
  variables?: Record<string, string>;
  fieldConfig?: FieldConfigSource;
}

let root: Root | undefined;

async function render(req: RenderRequest): Promise<{ renderMs: number; frameMs: number }> {
  const plugin = await loadPlugin();
  const Panel = plugin.panel!;
  const theme = createTheme({ colors: { mode: req.theme } });
  const from = dateTime(req.from);
  const to = dateTime(req.to);
  const timeRange = { from, to, raw: { from, to } };
  const vars: Record<string, string> = {
    __url_time_range: `from=${req.from}&to=${req.to}`,
    ...req.variables,
  };
  // Like Grafana's templateSrv: known variables are replaced, unknown ones are left alone.
  const replaceVariables = (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a, b) => vars[a ?? b] ?? m);
  const fieldConfig = req.fieldConfig ?? { defaults: {}, overrides: [] };
  // Grafana applies field config (display processors, links) before a panel sees the frames; do the same.
  const series = applyFieldOverrides({
    data: req.frames.map((f) => createDataFrame(f)),
    fieldConfig,
    replaceVariables,
    theme,
    timeZone: 'utc',
  });
  const options = await (plugin.onPanelMigration?.({
    id: 1,
    type: 'cryptoobs-volroi-panel',
    options: req.options,
    fieldConfig,
  }) ?? req.options);

  document.body.style.background = theme.colors.background.canvas;
  const container = document.getElementById('root')!;
  root?.unmount();
  root = createRoot(container);
  const element = (
    <ThemeContext.Provider value={theme}>
      <div
        id="panel"
        style={{ width: req.width, height: req.height, background: theme.colors.background.primary, padding: 0 }}
      >
        <Panel
          id={1}
          data={{ state: LoadingState.Done, series, timeRange }}
          timeRange={timeRange}
          timeZone="utc"
          options={options}
          transparent={false}
          width={req.width}
          height={req.height}
          fieldConfig={fieldConfig}
          renderCounter={1}
          title="Volatility & ROI"
          eventBus={new EventBusSrv()}
          onOptionsChange={() => {}}
          onFieldConfigChange={() => {}}
          replaceVariables={replaceVariables}
          onChangeTimeRange={() => {}}
        />
      </div>
    </ThemeContext.Provider>
  );
  const t0 = performance.now();
  flushSync(() => root!.render(element));
  const renderMs = performance.now() - t0;
  // The next animation frame runs after style, layout and paint of the committed DOM.
  await new Promise((r) => requestAnimationFrame(() => r(undefined)));
  return { renderMs, frameMs: performance.now() - t0 };
}

(window as unknown as { volroi: unknown }).volroi = { render, ready: loadPlugin().then(() => true) };
