export {
  type Fleet,
  type FleetOptions,
  FleetOptionsSchema,
  generateFleet,
  type Label,
  type LabelledEvent,
  PersonaSchema,
  SCENARIOS,
  type Scenario,
  type SimEvent,
  toJsonl,
} from './fleet.js';
export { makePersona, type Persona, type ToolProfile } from './personas.js';
export { SimRandom } from './random.js';
