import type { Command } from 'commander';

export function registerDiagnose(program: Command): void {
  program.command('diagnose').description('Check the server, the token, the local files and the disk');
}
