/** Exhaustiveness guard: every `switch` over a discriminated union ends here (ARCHITECTURE rule 2). */
export function assertNever (value: never, what = 'value'): never {
  throw new TypeError(`unhandled ${what}: ${JSON.stringify(value)}`)
}
