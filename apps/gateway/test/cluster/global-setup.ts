// Gives the multi-node tests a PostgreSQL URL (`inject('pgUrl')`): see tooling/postgres-global-setup.ts.
import { postgresGlobalSetup } from '../../../../tooling/postgres-global-setup.js';

export default postgresGlobalSetup('@harombe/gateway (multi-node tests)');
