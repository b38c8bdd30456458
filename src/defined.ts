// One small helper: drop the keys whose value is undefined, so that objects built from optional
// inputs satisfy `exactOptionalPropertyTypes` and never store an explicit undefined.

/** A copy of `value` without the keys whose value is undefined. */
export function definedOnly<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never;
}
