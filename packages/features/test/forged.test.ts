import { describe, expect, it } from 'vitest';
import { FeatureExtractor, ModelArtifactError } from '../src/index.js';

describe('forged extractor models', () => {
  it('a version nested 100,000 arrays deep is refused as a version error, as object or text (was a stack overflow)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const refusal = (input: unknown) => {
      try {
        FeatureExtractor.fromJSON(input);
      } catch (error) {
        return error;
      }
      throw new Error('expected fromJSON to refuse the input');
    };
    const error = refusal({ format: 'harombe.features', version: deep });
    expect(error).toBeInstanceOf(ModelArtifactError);
    expect((error as ModelArtifactError).problem).toBe('version');
    expect((error as ModelArtifactError).message).toContain('format version an array of 1 is not supported');
    const text = `{"format":"harombe.features","version":${'['.repeat(100_000)}1${']'.repeat(100_000)}}`;
    expect((refusal(text) as ModelArtifactError).problem).toBe('version');
    expect((refusal({ format: 'harombe.features', version: { deep } }) as ModelArtifactError).problem).toBe(
      'version',
    );
  });
});
