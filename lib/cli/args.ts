/**
 * A small, strict command-line parser driven by a declarative spec per command.
 *
 * Accepted forms: `--flag value`, `--flag=value`, `-f value`, `-fvalue`, boolean `--flag`
 * (or `--flag=true|false`), repeated flags (the last one wins unless the flag is `repeatable`),
 * and `--` to end the options. Every mistake is an `InvalidArgumentError` whose message is ONE
 * line naming the command, e.g. `qosmos broker: unknown option --prot (see qosmos broker --help)`.
 */
import { InvalidArgumentError } from '../core/errors.js'

interface FlagBase {
  /** Long name without the dashes, kebab-case: `max-packet-size`. */
  readonly name: string
  /** One letter, used as `-x`. */
  readonly short?: string
  readonly description: string
}

export type FlagSpec = FlagBase & (
  | { readonly kind: 'boolean' }
  | { readonly kind: 'string', readonly valueName?: string, readonly repeatable?: boolean }
  | { readonly kind: 'integer', readonly valueName?: string, readonly min: number, readonly max: number }
  | { readonly kind: 'enum', readonly valueName?: string, readonly values: readonly string[] }
)

export interface CommandSpec {
  /** The command's name as typed: `broker`. */
  readonly command: string
  /** The synopsis after `usage: `, e.g. `qosmos broker [options]`. */
  readonly synopsis: string
  readonly summary: string
  readonly flags: readonly FlagSpec[]
  /** How many positional arguments the command takes. */
  readonly positionals: { readonly min: number, readonly max: number }
  /** Extra text printed after the options. */
  readonly epilogue?: string
}

export type FlagValue = string | number | boolean | readonly string[]

export interface ParsedArgs {
  /** True when `--help` or `-h` was given (then nothing else is parsed or validated). */
  readonly help: boolean
  /** Given flags only, keyed by long name. */
  readonly values: ReadonlyMap<string, FlagValue>
  readonly positionals: readonly string[]
}

/** The one-line error every parse failure produces. */
export function usageError (spec: Pick<CommandSpec, 'command'>, problem: string): InvalidArgumentError {
  return new InvalidArgumentError(`qosmos ${spec.command}: ${problem} (see qosmos ${spec.command} --help)`)
}

/** Checks (and converts) one value for a flag; `source` names where it came from in errors. */
export function coerceFlagValue (command: Pick<CommandSpec, 'command'>, flag: FlagSpec, raw: string, source: string): string | number {
  switch (flag.kind) {
    case 'boolean':
      throw usageError(command, `${source} takes no value`)
    case 'string':
      if (raw === '') throw usageError(command, `${source} needs a non-empty value`)
      return raw
    case 'integer': {
      if (!/^-?\d+$/.test(raw)) throw usageError(command, `${source} must be an integer, got '${raw}'`)
      const n = Number(raw)
      if (!Number.isSafeInteger(n) || n < flag.min || n > flag.max) {
        throw usageError(command, `${source} must be an integer from ${flag.min} to ${flag.max}, got ${raw}`)
      }
      return n
    }
    case 'enum':
      if (!flag.values.includes(raw)) throw usageError(command, `${source} must be one of ${flag.values.join(', ')}, got '${raw}'`)
      return raw
  }
}

const HELP: FlagSpec = { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' }
const HELP_LONG_ONLY: FlagSpec = { name: 'help', kind: 'boolean', description: 'show this help' }

/** `--help`, and `-h` too unless the command uses -h itself (pub and sub: -h is the host, as in mosquitto_pub). */
function helpFlag (spec: CommandSpec): FlagSpec {
  return spec.flags.some(f => f.short === 'h') ? HELP_LONG_ONLY : HELP
}

export function parseArgs (spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const help = helpFlag(spec)
  const flags = [...spec.flags, help]
  const byLong = new Map(flags.map(f => [f.name, f]))
  const byShort = new Map(flags.flatMap(f => f.short === undefined ? [] : [[f.short, f] as const]))
  const values = new Map<string, FlagValue>()
  const positionals: string[] = []
  const end = argv.indexOf('--')
  const options = end === -1 ? argv : argv.slice(0, end)
  if (options.includes('--help') || (help === HELP && options.includes('-h'))) return { help: true, values, positionals }

  const set = (flag: FlagSpec, value: string | number | boolean): void => {
    if (flag.kind === 'string' && flag.repeatable === true) {
      const previous = values.get(flag.name)
      values.set(flag.name, [...(Array.isArray(previous) ? previous as string[] : []), String(value)])
    } else {
      values.set(flag.name, value)
    }
  }

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') { positionals.push(...argv.slice(i + 1)); break }
    if (!arg.startsWith('-') || arg === '-') { positionals.push(arg); continue }

    let flag: FlagSpec | undefined
    let inline: string | undefined
    let shown: string
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
      if (eq !== -1) inline = arg.slice(eq + 1)
      shown = `--${name}`
      flag = byLong.get(name)
    } else {
      shown = arg.slice(0, 2)
      flag = byShort.get(arg.slice(1, 2))
      if (arg.length > 2) inline = arg[2] === '=' ? arg.slice(3) : arg.slice(2)
    }
    if (flag === undefined) throw usageError(spec, `unknown option ${shown}`)

    if (flag.kind === 'boolean') {
      if (inline === undefined || inline === 'true') set(flag, true)
      else if (inline === 'false') values.delete(flag.name)
      else throw usageError(spec, `option ${shown} takes no value, got '${inline}'`)
      if (flag === help && values.has('help')) return { help: true, values: new Map(), positionals: [] }
      continue
    }

    let raw = inline
    if (raw === undefined) {
      const next = argv[i + 1]
      if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d/.test(next))) {
        throw usageError(spec, `option ${shown} needs a value`)
      }
      raw = next
      i++
    }
    set(flag, coerceFlagValue(spec, flag, raw, `option ${shown}`))
  }

  const { min, max } = spec.positionals
  if (positionals.length > max) {
    throw usageError(spec, max === 0 ? `unexpected argument '${positionals[0] ?? ''}'` : `too many arguments (at most ${max})`)
  }
  if (positionals.length < min) throw usageError(spec, `missing arguments (expected at least ${min})`)
  return { help: false, values, positionals }
}

/** The `--help` text of a command, generated from its spec. */
export function formatUsage (spec: CommandSpec): string {
  const rows = [...spec.flags, helpFlag(spec)].map(f => {
    const value = f.kind === 'boolean' ? '' : ` ${f.valueName ?? (f.kind === 'integer' ? 'N' : f.kind === 'enum' ? f.values.join('|') : 'VALUE')}`
    return [`${f.short === undefined ? '    ' : `-${f.short}, `}--${f.name}${value}`, f.description] as const
  })
  const width = Math.max(...rows.map(([left]) => left.length))
  const lines = [
    `usage: ${spec.synopsis}`,
    '',
    spec.summary,
    '',
    'options:',
    ...rows.map(([left, text]) => `  ${left.padEnd(width)}  ${text}`)
  ]
  if (spec.epilogue !== undefined) lines.push('', spec.epilogue)
  return lines.join('\n')
}

/** Typed access to parsed values; the spec guarantees the types, these only narrow them. */
export function stringValue (args: ParsedArgs, name: string): string | undefined {
  const v = args.values.get(name)
  return typeof v === 'string' ? v : undefined
}

export function integerValue (args: ParsedArgs, name: string): number | undefined {
  const v = args.values.get(name)
  return typeof v === 'number' ? v : undefined
}

export function booleanValue (args: ParsedArgs, name: string): boolean {
  return args.values.get(name) === true
}

/** kebab-case flag name to the camelCase key used in config files: `max-packet-size` -> `maxPacketSize`. */
export function camelCase (name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
}
