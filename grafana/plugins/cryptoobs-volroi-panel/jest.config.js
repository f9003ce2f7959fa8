// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

// Jest configuration provided by Grafana scaffolding
const base = require('./.config/jest.config');
const swc = base.transform['^.+\\.(t|j)sx?$'];

module.exports = {
  ...base,
  // @grafana/data 13 pulls ESM-only d3 packages as .mjs files, which the scaffold's transform does not match.
  transform: { ...base.transform, '^.+\\.mjs$': swc },
};
