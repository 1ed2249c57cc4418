/** Records each interop test's outcome as a matrix cell (see matrix.ts). */
import test from 'ava'
import { basename } from 'node:path'
import { writeMatrix, writeResults, type Cell } from './matrix.js'

/**
 * Hooks for one test file: `expect(title, ...)` before a test registers, `skipped(...)` for a
 * test.skip. Outcomes are read from ava's afterEach.always (`t.passed`).
 */
type CellKey = Omit<Cell, 'outcome' | 'note'>

interface Expected { readonly cells: readonly CellKey[], readonly notApplicable: string | undefined }

export interface Recorder {
  /**
   * Before a test registers: the cell(s) its outcome fills. With `notApplicable`, the test shows
   * that the other side lacks the feature: passing records n/a with that note, failing a FAIL.
   */
  expect: (title: string, cell: CellKey | readonly CellKey[], notApplicable?: string) => void
  skipped: (cell: CellKey, reason: string) => void
  registered: () => void
}

export function recorder (testFile: string, tool: string): Recorder {
  const expected = new Map<string, Expected>()
  const cells: Cell[] = []
  const HOOK = 'afterEach.always hook for '
  test.afterEach.always(t => {
    const title = t.title.startsWith(HOOK) ? t.title.slice(HOOK.length) : t.title
    const entry = expected.get(title)
    if (entry === undefined) return
    for (const cell of entry.cells) {
      if (!t.passed) cells.push({ ...cell, outcome: 'fail' })
      else if (entry.notApplicable !== undefined) cells.push({ ...cell, outcome: 'n/a', note: entry.notApplicable })
      else cells.push({ ...cell, outcome: 'pass' })
    }
  })
  test.after.always(() => {
    for (const [title, entry] of expected) {
      for (const cell of entry.cells) {
        // A test that timed out never reaches afterEach: it did not pass.
        if (!cells.some(c => c.peer === cell.peer && c.version === cell.version && c.feature === cell.feature)) cells.push({ ...cell, outcome: 'fail', note: `no result: ${title}` })
      }
    }
    writeResults(basename(testFile), tool, cells)
    writeMatrix()
  })
  return {
    expect (title, cell, notApplicable) { expected.set(title, { cells: Array.isArray(cell) ? cell : [cell as CellKey], notApplicable }) },
    skipped (cell, reason) { cells.push({ ...cell, outcome: 'skipped', note: reason }) },
    /** Call after the last test is declared: ava runs no after-hook in a file whose tests are all skipped. */
    registered () {
      if (expected.size > 0) return
      writeResults(basename(testFile), tool, cells)
      writeMatrix()
    }
  }
}

