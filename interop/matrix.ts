/** Rebuilds interop/MATRIX.md from the results the last interop run left in interop/.results/. */
import { writeMatrix } from './_support/matrix.js'

writeMatrix()
