import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ForestInputError } from '../src/index.js';
import { featureBitsFor, featureOf, leafSizeOf, leftOf, TreeBuffer } from '../src/trees.js';

describe('tree node words', () => {
  it('give back every split (feature, left child, threshold) and leaf (size, path) they were set to', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1 << 20 }),
        fc.array(
          fc.tuple(fc.nat(), fc.nat(), fc.double({ noNaN: true }), fc.integer({ min: 1, max: 1 << 16 })),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        (nFeatures, nodes) => {
          const buffer = new TreeBuffer(1, nFeatures);
          const maxOffset = 2 ** (31 - featureBitsFor(nFeatures)) - 1;
          const expected = nodes.map(([f, o, threshold, size], i) => {
            const node = buffer.allocate(1);
            expect(node).toBe(i);
            if (i % 3 === 2) {
              buffer.setLeafWithPath(node, size, threshold);
              return { size, threshold };
            }
            const feature = f % nFeatures;
            const left = node + 1 + (o % maxOffset);
            buffer.setSplit(node, feature, threshold, left);
            return { feature, left, threshold };
          });
          const trees = buffer.finish(new Int32Array([0]));
          expected.forEach((want, node) => {
            expect(trees.value[node]).toBe(want.threshold);
            if ('size' in want) {
              expect(trees.meta[node]).toBeLessThan(0);
              expect(leafSizeOf(trees, node)).toBe(want.size);
            } else {
              expect(trees.meta[node]).toBeGreaterThanOrEqual(0);
              expect(featureOf(trees, node)).toBe(want.feature);
              expect(leftOf(trees, node)).toBe(want.left);
            }
          });
        },
      ),
    );
  });

  it('refuses a child offset the word cannot hold, naming maxSamples', () => {
    const buffer = new TreeBuffer(4, 2 ** 20); // 20 feature bits leave 11 for the offset
    buffer.setSplit(0, 5, 0.5, 2047);
    expect(() => buffer.setSplit(1, 5, 0.5, 1 + 2048)).toThrow(ForestInputError);
    expect(() => buffer.setSplit(1, 5, 0.5, 1 + 2048)).toThrow(/maxSamples/);
  });
});
