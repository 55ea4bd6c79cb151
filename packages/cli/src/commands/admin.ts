import type { Command } from 'commander';

export function registerAdmin(program: Command): void {
  program.command('admin').description('Administration: users, roles, tables, permissions (admins only)');
}
