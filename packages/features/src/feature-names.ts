// The feature vector's layout. Names are stable: explanations and stored models refer to them.

/** How a feature's value relates to what the event said, for explanations. */
export type FeatureKind = 'count' | 'log' | 'cyclic' | 'flag' | 'rarity' | 'rate';

export interface FeatureInfo {
  readonly name: string;
  readonly kind: FeatureKind;
  /** The event field or window quantity it comes from, in display units. */
  readonly source: string;
}

/** Per-event features, in vector order. */
export const EVENT_FEATURES: readonly FeatureInfo[] = [
  { name: 'resource_count', kind: 'count', source: 'resource_count' },
  { name: 'duration_log', kind: 'log', source: 'duration_ms' },
  { name: 'hour_sin', kind: 'cyclic', source: 'hour' },
  { name: 'hour_cos', kind: 'cyclic', source: 'hour' },
  { name: 'weekday_sin', kind: 'cyclic', source: 'weekday' },
  { name: 'weekday_cos', kind: 'cyclic', source: 'weekday' },
  { name: 'weekend', kind: 'flag', source: 'weekend' },
  { name: 'event_type_rarity', kind: 'rarity', source: 'event_type' },
  { name: 'tool_rarity', kind: 'rarity', source: 'tool_name' },
  { name: 'failure', kind: 'flag', source: 'success' },
  { name: 'new_destination', kind: 'flag', source: 'destination' },
  { name: 'new_file_location', kind: 'flag', source: 'file_path' },
];

/** Sliding-window activity features (the spec's FeatureVector), in vector order. */
export const WINDOW_FEATURES: readonly FeatureInfo[] = [
  { name: 'calls_per_hour', kind: 'rate', source: 'calls per hour' },
  { name: 'tool_calls_per_hour', kind: 'rate', source: 'tool calls per hour' },
  { name: 'errors_per_hour', kind: 'rate', source: 'errors per hour' },
  { name: 'window_avg_duration_log', kind: 'log', source: 'average duration_ms in the window' },
  { name: 'window_max_duration_log', kind: 'log', source: 'maximum duration_ms in the window' },
  { name: 'window_unique_tools', kind: 'count', source: 'distinct tools in the window' },
  { name: 'window_unique_destinations', kind: 'count', source: 'distinct destinations in the window' },
  { name: 'window_file_operations', kind: 'count', source: 'file operations in the window' },
];

/** Name of the feature for a `resource_usage` counter. */
export function resourceFeature(key: string): FeatureInfo {
  return { name: `resource_usage.${key}`, kind: 'log', source: `resource_usage.${key}` };
}

/** Indices of the fixed per-event features. */
export const F = {
  resourceCount: 0,
  duration: 1,
  hourSin: 2,
  hourCos: 3,
  weekdaySin: 4,
  weekdayCos: 5,
  weekend: 6,
  eventTypeRarity: 7,
  toolRarity: 8,
  failure: 9,
  newDestination: 10,
  newFileLocation: 11,
} as const;

/** Full feature layout for the given resource keys. */
export function layout(resourceKeys: readonly string[], windowFeatures: boolean): FeatureInfo[] {
  return [
    ...EVENT_FEATURES,
    ...resourceKeys.map(resourceFeature),
    ...(windowFeatures ? WINDOW_FEATURES : []),
  ];
}
