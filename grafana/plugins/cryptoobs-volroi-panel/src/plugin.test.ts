// plugin.json against the rules of Grafana's plugin schema
// (grafana/grafana:docs/sources/developers/plugins/plugin.schema.json) that matter for a panel.
import fs from 'fs';
import path from 'path';
import semver from 'semver';
import pluginJson from './plugin.json';

const COMPOSE_GRAFANA_VERSION = '13.1.0'; // grafana/grafana image pinned by the project's docker-compose.yml

describe('plugin.json', () => {
  it('has a valid panel id with one middle segment', () => {
    expect(pluginJson.id).toBe('cryptoobs-volroi-panel');
    expect(pluginJson.id).toMatch(/^[0-9a-z]+-([0-9a-z]+-)?(app|panel|datasource|secretsmanager|transformer)$/);
    expect(pluginJson.type).toBe('panel');
    expect(pluginJson.name).toBe('Volatility & ROI');
  });

  it('only uses schema properties and has the required ones', () => {
    const top = ['$schema', 'type', 'name', 'id', 'info', 'dependencies'];
    expect(Object.keys(pluginJson).sort()).toEqual([...top].sort());
    const info = ['author', 'build', 'description', 'keywords', 'links', 'logos', 'screenshots', 'updated', 'version'];
    expect(Object.keys(pluginJson.info).every((k) => info.includes(k))).toBe(true);
    expect(pluginJson.info.keywords.length).toBeGreaterThan(0);
    expect(pluginJson.info.version).toMatch(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)|(%VERSION%)$/);
    expect(pluginJson.info.updated).toMatch(/^(\d{4}-\d{2}-\d{2}|%TODAY%)$/);
    for (const logo of [pluginJson.info.logos.small, pluginJson.info.logos.large]) {
      expect(fs.existsSync(path.join(__dirname, logo))).toBe(true);
    }
  });

  it('declares a grafanaDependency that the pinned Grafana satisfies', () => {
    const range = pluginJson.dependencies.grafanaDependency;
    expect(range).toMatch(
      /^(<=|>=|<|>|=|~|\^)?([0-9]+)(\.[0-9x*]+)(\.[0-9x*]+)?(\s(<=|>=|<|=>)?([0-9]+)(\.[0-9x]+)(\.[0-9x]+))?$/
    );
    expect(semver.satisfies(COMPOSE_GRAFANA_VERSION, range)).toBe(true);
  });
});
