#!/usr/bin/env node
// The one run command: installs what is missing, then serves the app on localhost.
import { spawn } from 'node:child_process'
import { ensureDeps } from './deps.mjs'

ensureDeps()
const port = process.env.PORT ?? '5173'
// Start vite's own binary, not `npx vite`, so signals reach the real process.
const vite = spawn('node_modules/.bin/vite', ['--host', '127.0.0.1', '--port', port, '--strictPort'], {
  stdio: 'inherit',
})
const stop = () => vite.kill('SIGTERM')
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
vite.on('exit', (code) => process.exit(code ?? 0))
