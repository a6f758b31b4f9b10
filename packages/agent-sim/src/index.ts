export {
  ATTACK_CLASSES,
  type AttackClass,
  type Campaign,
  type Fleet,
  type FleetOptions,
  FleetOptionsSchema,
  generateFleet,
  type Incident,
  type Label,
  type LabelledEvent,
  PersonaSchema,
  REGIMES,
  type Regime,
  SCENARIOS,
  type Scenario,
  type SimEvent,
  toJsonl,
} from './fleet.js';
export { makePersona, type Persona, type ToolProfile } from './personas.js';
export { SimRandom, streamSeed, zipfWeights } from './random.js';
export {
  type BatchJob,
  type BatchStep,
  type LogNormal,
  makeRealisticPersona,
  type RealisticPersona,
  type RealisticTool,
  type SecretTarget,
  type ToolKind,
  type Weighted,
} from './realistic/personas.js';
