/** A command's arguments did not make sense: main prints the message and that command's usage, exit 2. */
export class UsageError extends Error {}
