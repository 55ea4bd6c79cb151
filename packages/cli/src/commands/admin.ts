// da admin: users and roles, the table registry, dataset grants and sync triggers, through the
// admin API (API.md, Administration). The server checks the role; a non-admin gets 403, which
// the client reports as an auth error (exit 3). Never prompts: passwords come on stdin.
import type { Command } from 'commander';
import type { Api, RequestOptions } from '../api.js';
import { action } from '../command.js';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import { readStdin } from '../prompt.js';
import { cellText, renderTable } from '../render.js';

const ROLES = ['viewer', 'analyst', 'km_admin', 'admin'] as const;
const STRATEGIES = ['full_refresh', 'incremental', 'partitioned'] as const;

export interface User {
  id: string;
  email: string;
  name: string | null;
  role: string;
  active: boolean;
}

export interface Grant {
  user_id: string;
  dataset: string;
  access: string;
  granted_by: string | null;
  granted_at: string | null;
}

export interface RegistryEntry {
  id: string;
  bucket: string | null;
  source_type: string | null;
  sync_strategy: string;
  sync_schedule: string | null;
  is_public: boolean;
  description: string | null;
}

interface DiscoveredTable {
  name: string;
  source: string;
  source_type: string;
  registered: boolean;
  description?: string;
}

interface AddOptions {
  name?: string;
  role?: string;
  passwordStdin?: boolean;
}

interface TableSetOptions {
  public?: boolean;
  private?: boolean;
  description?: string;
  schedule?: string;
  strategy?: string;
}

type NoOptions = object;

export function registerAdmin(program: Command): void {
  const admin = program.command('admin').description('Administration: users, roles, tables, permissions (admins only)');

  const users = admin.command('users').description('Accounts and roles');
  users.command('list').description('Every user').action(action<NoOptions>(listUsers));
  users
    .command('add')
    .description('Create a user; without --password-stdin the answer holds a single-use invite link')
    .argument('<email>')
    .option('--name <name>', 'display name')
    .option('--role <role>', `one of ${ROLES.join(', ')} (server default: analyst)`)
    .option('--password-stdin', 'read an initial password from stdin instead of issuing an invite link')
    .action(action<AddOptions, [string]>(addUser));
  users
    .command('set-role')
    .description(`Change a user's role (${ROLES.join(', ')})`)
    .argument('<user>', 'user id or email')
    .argument('<role>')
    .action(
      action<NoOptions, [string, string]>(async (ctx, _o, ref, role) => {
        const api = ctx.api();
        const user = await resolveUser(api, ref);
        const updated = await api.json<User>(`/api/users/${enc(user.id)}`, { method: 'PATCH', body: { role: checkRole(role) } });
        ctx.out.result(updated, () => `${updated.email} is now ${updated.role}.`);
      }),
    );
  for (const [verb, done] of [
    ['deactivate', 'deactivated: their sessions and tokens stop working'],
    ['activate', 'active again'],
  ] as const) {
    users
      .command(verb)
      .description(verb === 'deactivate' ? 'Lock a user out (sessions and tokens stop working at once)' : 'Let a deactivated user in again')
      .argument('<user>', 'user id or email')
      .action(
        action<NoOptions, [string]>(async (ctx, _o, ref) => {
          const api = ctx.api();
          const user = await resolveUser(api, ref);
          const updated = await api.json<User>(`/api/users/${enc(user.id)}/${verb}`, { method: 'POST' });
          ctx.out.result(updated, () => `${updated.email} ${done}.`);
        }),
      );
  }
  users
    .command('remove')
    .description('Delete a user and their grants')
    .argument('<user>', 'user id or email')
    .action(
      action<NoOptions, [string]>(async (ctx, _o, ref) => {
        const api = ctx.api();
        const user = await resolveUser(api, ref);
        await api.json(`/api/users/${enc(user.id)}`, { method: 'DELETE' });
        ctx.out.result({ status: 'removed', user: { id: user.id, email: user.email } }, () => `Removed ${user.email}.`);
      }),
    );

  const tables = admin.command('tables').description('The table registry: visibility, descriptions, schedules');
  tables.command('list').description('Registered tables').action(action<NoOptions>(listTables));
  tables.command('discover').description('Tables the configured connectors can see').action(action<NoOptions>(discoverTables));
  tables
    .command('set')
    .description('Update a registered table (only the given fields change)')
    .argument('<table>', 'table id')
    .option('--public', 'every user may read it')
    .option('--private', 'only admins and users granted the table or its bucket may read it')
    .option('--description <text>', 'description shown in the catalog')
    .option('--schedule <cron>', "sync schedule (cron); '' clears it")
    .option('--strategy <strategy>', STRATEGIES.join(' | '))
    .action(action<TableSetOptions, [string]>(setTable));
  tables
    .command('remove')
    .description('Remove a table from the registry')
    .argument('<table>', 'table id')
    .action(
      action<NoOptions, [string]>(async (ctx, _o, table) => {
        await ctx.api().json(`/api/admin/registry/${enc(table)}`, { method: 'DELETE' });
        ctx.out.result({ status: 'removed', table }, () => `Removed ${table} from the registry.`);
      }),
    );

  const perms = admin.command('permissions').description('Read grants on private tables (a table id or <bucket>.*)');
  perms
    .command('list')
    .description('Every grant, or one user’s')
    .argument('[user]', 'user id or email')
    .action(action<NoOptions, [string | undefined]>(listPermissions));
  perms
    .command('grant')
    .description('Let a user read a table, or every table of a bucket')
    .argument('<user>', 'user id or email')
    .argument('<dataset>', 'table id or <bucket>.*')
    .action(
      action<NoOptions, [string, string]>(async (ctx, _o, ref, dataset) => {
        const api = ctx.api();
        const user = await resolveUser(api, ref);
        const grant = await api.json<Grant>('/api/admin/permissions', { method: 'POST', body: { user_id: user.id, dataset, access: 'read' } });
        ctx.out.result(grant, () => `${user.email} may now read ${dataset}.`);
      }),
    );
  perms
    .command('revoke')
    .description('Remove a grant')
    .argument('<user>', 'user id or email')
    .argument('<dataset>', 'table id or <bucket>.*')
    .action(
      action<NoOptions, [string, string]>(async (ctx, _o, ref, dataset) => {
        const api = ctx.api();
        const user = await resolveUser(api, ref);
        await api.json('/api/admin/permissions', { method: 'DELETE', body: { user_id: user.id, dataset } });
        ctx.out.result({ status: 'revoked', user_id: user.id, email: user.email, dataset }, () => `Revoked ${user.email}'s grant on ${dataset}.`);
      }),
    );

  admin
    .command('sync')
    .description('Run extract → rebuild → profile on the server now, for the given tables or all')
    .argument('[tables...]', 'table ids (default: every source)')
    .action(
      action<NoOptions, [string[]]>(async (ctx, _o, ids) => {
        const answer = await call<{ status: string; tables: string[] | 'all'; sources: string[]; message: string }>(ctx, '/api/sync/trigger', {
          method: 'POST',
          body: ids.length ? ids : undefined,
        });
        ctx.out.result(answer, () => answer.message);
      }),
    );
}

async function listUsers(ctx: Context): Promise<void> {
  const users = await allPages<User>(ctx.api(), '/api/users', 'users');
  const answer = { users, count: users.length };
  ctx.out.result(answer, () =>
    renderTable(
      ['id', 'email', 'name', 'role', 'active'],
      answer.users.map((u) => [u.id, u.email, u.name, u.role, u.active ? 'yes' : 'no']),
    ),
  );
}

async function addUser(ctx: Context, o: AddOptions, email: string): Promise<void> {
  const role = o.role === undefined ? undefined : checkRole(o.role);
  let password: string | undefined;
  if (o.passwordStdin) {
    password = (await readStdin()).replace(/\r?\n$/, '');
    if (!password) throw usageError('--password-stdin was given but stdin is empty', `echo "$PASSWORD" | da admin users add ${email} --password-stdin`);
  }
  const api = ctx.api();
  const created = await api.json<User & { invite: { setup_path: string; expires_at: string } | null }>('/api/users', {
    method: 'POST',
    body: { email, name: o.name, role, password },
  });
  const inviteUrl = created.invite ? `${api.server}${created.invite.setup_path}` : null;
  ctx.out.result({ ...created, invite_url: inviteUrl }, () =>
    [
      `Created ${created.email} (${created.role}).`,
      ...(created.invite && inviteUrl ? [`Invite link (single use, valid until ${created.invite.expires_at}):`, inviteUrl] : []),
    ].join('\n'),
  );
}

async function listTables(ctx: Context): Promise<void> {
  const tables = await allPages<RegistryEntry>(ctx.api(), '/api/admin/registry', 'tables');
  const answer = { tables, count: tables.length };
  ctx.out.result(answer, () =>
    renderTable(
      ['id', 'bucket', 'public', 'strategy', 'schedule', 'description'],
      answer.tables.map((t) => [t.id, t.bucket, t.is_public ? 'yes' : 'no', t.sync_strategy, t.sync_schedule, t.description]),
    ),
  );
}

async function discoverTables(ctx: Context): Promise<void> {
  const answer = await call<{ tables: DiscoveredTable[]; count: number; errors: { source: string; error: string }[] }>(ctx, '/api/admin/discover-tables');
  for (const e of answer.errors) ctx.out.warn(`source ${e.source}: ${e.error}`);
  ctx.out.result(answer, () =>
    answer.count
      ? renderTable(
          ['source', 'name', 'type', 'registered', 'description'],
          answer.tables.map((t) => [t.source, t.name, t.source_type, t.registered ? 'yes' : 'no', t.description]),
        )
      : 'No connector sees any table.',
  );
}

async function setTable(ctx: Context, o: TableSetOptions, table: string): Promise<void> {
  if (o.public && o.private) throw usageError('--public and --private exclude each other');
  if (o.strategy !== undefined && !(STRATEGIES as readonly string[]).includes(o.strategy))
    throw usageError(`Unknown strategy '${o.strategy}'`, `use one of ${STRATEGIES.join(', ')}`);
  const patch: Record<string, string | boolean | null> = {};
  if (o.public || o.private) patch.is_public = Boolean(o.public);
  if (o.description !== undefined) patch.description = o.description;
  if (o.schedule !== undefined) patch.sync_schedule = o.schedule || null;
  if (o.strategy !== undefined) patch.sync_strategy = o.strategy;
  if (!Object.keys(patch).length) throw usageError('Nothing to change', 'pass --public, --private, --description, --schedule or --strategy');
  const entry = await call<RegistryEntry>(ctx, `/api/admin/registry/${enc(table)}`, { method: 'PUT', body: patch });
  ctx.out.result(
    entry,
    () =>
      `Updated ${entry.id}: ${Object.entries(patch)
        .map(([k, v]) => `${k}=${cellText(v)}`)
        .join(', ')}.`,
  );
}

async function listPermissions(ctx: Context, _o: NoOptions, ref: string | undefined): Promise<void> {
  const api = ctx.api();
  const users = { users: await allPages<User>(api, '/api/users', 'users') };
  const user = ref === undefined ? undefined : findUser(users.users, ref);
  const answer = await api.json<{ permissions: Grant[] }>(user ? `/api/admin/permissions/${enc(user.id)}` : '/api/admin/permissions');
  const email = new Map(users.users.map((u) => [u.id, u.email]));
  ctx.out.result(answer, () =>
    answer.permissions.length
      ? renderTable(
          ['user', 'dataset', 'access', 'granted by', 'granted at'],
          answer.permissions.map((g) => [
            email.get(g.user_id) ?? g.user_id,
            g.dataset,
            g.access,
            g.granted_by ? (email.get(g.granted_by) ?? g.granted_by) : '',
            g.granted_at,
          ]),
        )
      : `No grants${user ? ` for ${user.email}` : ''}: users read public tables only.`,
  );
}

/** A user by id or email (case-insensitive), looked up in GET /api/users. */
async function resolveUser(api: Api, ref: string): Promise<User> {
  return findUser(await allPages<User>(api, '/api/users', 'users'), ref);
}

/** Every item of a paged list (`{<field>: [...], total, limit, offset}`), page after page. */
async function allPages<T>(api: Api, path: string, field: string): Promise<T[]> {
  const items: T[] = [];
  for (;;) {
    const page = await api.json<Record<string, unknown> & { total?: number }>(`${path}?limit=10000&offset=${items.length}`);
    const got = (page[field] as T[] | undefined) ?? [];
    items.push(...got);
    if (!got.length || page.total === undefined || items.length >= page.total) return items;
  }
}

function findUser(users: User[], ref: string): User {
  const wanted = ref.trim().toLowerCase();
  const user = users.find((u) => u.id === ref || u.email.toLowerCase() === wanted);
  if (!user) throw usageError(ref.includes('@') ? `No user with email '${ref}'` : `No user with id '${ref}'`, 'see da admin users list');
  return user;
}

function checkRole(role: string): string {
  if (!(ROLES as readonly string[]).includes(role)) throw usageError(`Unknown role '${role}': use one of ${ROLES.join(', ')}`);
  return role;
}

/** One authenticated call to the server with the signed-in token. */
function call<T>(ctx: Context, path: string, o: RequestOptions = {}): Promise<T> {
  return ctx.api().json<T>(path, o);
}

const enc = encodeURIComponent;
