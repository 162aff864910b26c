// Setup file of the e2e project: when a test fails, keep what explains it (each open tab's screenshot and
// latest warnings) under artifacts/failures/, before afterAll closes the browser.
import { beforeEach } from 'vitest'
import { saveOpenPages } from './browser.ts'

beforeEach(({ task, onTestFailed }) => {
  onTestFailed(async () => {
    const dir = await saveOpenPages(`${task.file.name.replace(/^e2e\//, '')}-${task.name}`)
    console.error(`[e2e] failed: ${task.name}; open tabs saved in ${dir}/`)
  })
})
