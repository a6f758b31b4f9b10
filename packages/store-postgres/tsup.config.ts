export { default } from '../../tooling/tsup.config.js';
