/**
 * Fictional phone numbers: North American 555-0100..555-0199 are reserved for fiction, in every
 * area code, so numbers are `+1 <area> 555 01xx` with area codes from 201 upwards.
 */
const FIRST_AREA_CODE = 201;
const PER_AREA = 100;

export function fictionalNumber(index: number): string {
  const area = FIRST_AREA_CODE + Math.floor(index / PER_AREA);
  const line = String(index % PER_AREA).padStart(2, '0');
  return `+1${area}55501${line}`;
}
