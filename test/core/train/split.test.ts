import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitGroups } from '../../../src/core/train/split.js';

describe('splitGroups', () => {
  const groups = Array.from({ length: 50 }, (_, index) => `fddb:img_${index}`);

  it('holds out the requested fraction of groups', () => {
    const split = splitGroups(groups, 0.2, 1);
    assert.equal(split.validationGroups, 10);
    assert.equal(split.trainGroups, 40);
    assert.equal(groups.filter((group) => split.isValidation(group)).length, 10);
  });

  it('gives the same split for the same seed in any input order', () => {
    const first = splitGroups(groups, 0.2, 3);
    const second = splitGroups([...groups].reverse(), 0.2, 3);
    for (const group of groups) {
      assert.equal(first.isValidation(group), second.isValidation(group), group);
    }
  });

  it('gives another split for another seed', () => {
    const first = splitGroups(groups, 0.2, 3);
    const second = splitGroups(groups, 0.2, 4);
    assert.ok(groups.some((group) => first.isValidation(group) !== second.isValidation(group)));
  });

  it('holds out one group when the fraction rounds to zero', () => {
    const split = splitGroups(['a', 'b', 'c'], 0.1, 1);
    assert.equal(split.validationGroups, 1);
  });

  it('holds out nothing for a zero fraction', () => {
    const split = splitGroups(groups, 0, 1);
    assert.equal(split.validationGroups, 0);
    assert.ok(groups.every((group) => !split.isValidation(group)));
  });
});
