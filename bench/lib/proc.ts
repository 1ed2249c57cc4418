/**
 * Readings from /proc (Linux only): a process's CPU time and resident memory, the clock-tick
 * length, the open-files limit. Every reader returns undefined when /proc has no answer (the
 * process is gone, or this is not Linux) instead of throwing.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

let ticksPerSecond: number | undefined

/** `getconf CLK_TCK`: the unit of utime and stime in /proc/PID/stat (normally 100). */
export function clockTicksPerSecond (): number {
  if (ticksPerSecond !== undefined) return ticksPerSecond
  try {
    const value = Number.parseInt(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim(), 10)
    ticksPerSecond = Number.isFinite(value) && value > 0 ? value : 100
  } catch {
    ticksPerSecond = 100
  }
  return ticksPerSecond
}

/** utime + stime of a process (all its threads), in microseconds. */
export function processCpuMicros (pid: number): number | undefined {
  const split = processCpuSplitMicros(pid)
  return split === undefined ? undefined : split.user + split.sys
}

/** utime (user) and stime (sys: in the kernel, system calls) of a process, in microseconds. */
export function processCpuSplitMicros (pid: number): { user: number, sys: number } | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state), so utime (field 14) is fields[11] and stime (15) fields[12].
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined
  const tick = 1e6 / clockTicksPerSecond()
  return { user: utime * tick, sys: stime * tick }
}

/** VmRSS of a process from /proc/PID/status, in KiB. */
export function processRssKiB (pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match?.[1] === undefined ? undefined : Number(match[1])
  } catch {
    return undefined
  }
}

/** The soft "Max open files" limit of a process ('self' for this one). */
export function openFilesLimit (pid: number | 'self'): number | undefined {
  try {
    const match = /^Max open files\s+(\d+|unlimited)\s+/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))
    if (match?.[1] === undefined) return undefined
    return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1])
  } catch {
    return undefined
  }
}

/** The machine, for the report. */
export function machineInfo (): { cpus: number, model: string, node: string, kernel: string } {
  let model = 'unknown'
  let kernel = 'unknown'
  let cpus = 0
  try {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
    model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? model
  } catch { /* not Linux */ }
  try {
    cpus = Number.parseInt(execFileSync('nproc', { encoding: 'utf8', timeout: 5000 }).trim(), 10)
  } catch { /* no nproc */ }
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()
  } catch { /* not Linux */ }
  return { cpus, model, node: process.version, kernel }
}
