/** Records each interop test's outcome as a matrix cell (see matrix.ts). */
import test from 'ava'
import { basename } from 'node:path'
import { writeMatrix, writeResults, type Cell } from './matrix.js'

/**
 * Hooks for one test file: `expect(title, ...)` before a test registers, `skipped(...)` for a
 * test.skip. Outcomes are read from ava's afterEach.always (`t.passed`).
 */
export function recorder (testFile: string, tool: string): { expect: (title: string, cell: Omit<Cell, 'outcome'>) => void, skipped: (cell: Omit<Cell, 'outcome'>, reason: string) => void, registered: () => void } {
  const expected = new Map<string, Omit<Cell, 'outcome'>>()
  const cells: Cell[] = []
  const HOOK = 'afterEach.always hook for '
  test.afterEach.always(t => {
    const title = t.title.startsWith(HOOK) ? t.title.slice(HOOK.length) : t.title
    const cell = expected.get(title)
    if (cell !== undefined) cells.push({ ...cell, outcome: t.passed ? 'pass' : 'fail' })
  })
  test.after.always(() => {
    for (const [title, cell] of expected) {
      // A test that timed out never reaches afterEach: it did not pass.
      if (!cells.some(c => c.peer === cell.peer && c.version === cell.version && c.feature === cell.feature)) cells.push({ ...cell, outcome: 'fail', note: `no result: ${title}` })
    }
    writeResults(basename(testFile), tool, cells)
    writeMatrix()
  })
  return {
    expect (title, cell) { expected.set(title, cell) },
    skipped (cell, reason) { cells.push({ ...cell, outcome: 'skipped', note: reason }) },
    /** Call after the last test is declared: ava runs no after-hook in a file whose tests are all skipped. */
    registered () {
      if (expected.size > 0) return
      writeResults(basename(testFile), tool, cells)
      writeMatrix()
    }
  }
}

