/** Our written-out search places (search-places.ts) must stay cosmiconfig's own, in its order. */
import { getDefaultSearchPlaces } from 'cosmiconfig';
import { describe, expect, it } from 'vitest';
import { MODULE_NAME, SEARCH_PLACES } from '../../src/config/search-places.js';

describe('SEARCH_PLACES', () => {
  it("begins with cosmiconfig's default search places, in order, then our .json/.yaml config names", () => {
    const cosmiconfigs = getDefaultSearchPlaces(MODULE_NAME);
    expect(SEARCH_PLACES.slice(0, cosmiconfigs.length)).toEqual(cosmiconfigs);
    expect(SEARCH_PLACES.slice(cosmiconfigs.length)).toEqual([`${MODULE_NAME}.config.json`, `${MODULE_NAME}.config.yaml`, `${MODULE_NAME}.config.yml`]);
  });
});
