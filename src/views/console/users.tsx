import type { PublicUser, Role } from '../../users/users.js';
import { FormButtons, FormError, PasswordFields, RoleChecks, roleList } from './directory.js';
import { formatTime } from './format.js';
import { ConsolePage, PostButton, type ConsoleFrame } from './layout.js';

/** The roles a user of this tenant can have: management has its staff roles. */
export const rolesOffered = (management: boolean): Role[] => (management ? ['user', 'platform-admin', 'support', 'auditor'] : ['user', 'tenant-admin', 'auditor']);

/** "Users" in a customer tenant, "Staff" in management (support users, platform admins, auditors). */
const words = (management: boolean) => (management ? { title: 'Staff', one: 'staff member', many: 'staff members', add: 'Add a staff member' } : { title: 'Users', one: 'user', many: 'users', add: 'Add a user' });

const scopeText = (u: PublicUser) => (!u.roles.includes('support') ? '—' : u.scope.length === 0 ? 'no tenants' : u.scope.includes('*') ? 'every tenant (*)' : u.scope.join(', '));

export const userPath = (base: string, u: Pick<PublicUser, 'id'>) => `${base}/users/${encodeURIComponent(u.id)}`;

function EnabledBadge(props: { enabled: boolean }) {
  return <span class={`badge ${props.enabled ? 'enabled' : 'disabled'}`}>{props.enabled ? 'Enabled' : 'Disabled'}</span>;
}

/** The tenant's users: how many can sign in, then one row each. */
export function UserList(props: { frame: ConsoleFrame; users: PublicUser[]; management: boolean }) {
  const f = props.frame;
  const w = words(props.management);
  const disabled = props.users.filter((u) => !u.enabled).length;
  return (
    <ConsolePage frame={f} title={w.title}>
      <p>
        {props.users.length} {props.users.length === 1 ? w.one : w.many} in {f.tenant}
        {disabled > 0 ? `, ${disabled} of them disabled (cannot sign in)` : ''}.
      </p>
      <div class="actions">
        <a class="button" href={`${f.base}/users/new`}>
          {w.add}
        </a>
      </div>
      <div class="table-wrap" tabIndex={0} role="region" aria-label={w.title}>
        <table id="users" class="stack">
          <caption>{props.management ? 'Staff of the platform, oldest first: open one to change it' : `Users of ${f.tenant}, oldest first: open one to change it`}</caption>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Status</th>
              <th scope="col">Roles</th>
              {props.management ? <th scope="col">Support scope</th> : null}
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {props.users.map((u) => (
              <tr>
                <td data-label="Username">
                  <a href={userPath(f.base, u)}>{u.username}</a>
                  {u.username === f.username ? <span class="muted"> (you)</span> : null}
                </td>
                <td data-label="Status">
                  <EnabledBadge enabled={u.enabled} />
                </td>
                <td data-label="Roles">{roleList(u.roles)}</td>
                {props.management ? <td data-label="Support scope">{scopeText(u)}</td> : null}
                <td class="nowrap" data-label="Created">
                  {formatTime(Date.parse(u.createdAt))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </ConsolePage>
  );
}

/** What the new-user form had when it comes back with a mistake (never the password). */
export interface NewUserValues {
  username: string;
  roles: string[];
  scope: string;
}

function ScopeField(props: { id: string; value: string }) {
  return (
    <>
      <label for={props.id}>Support scope</label>
      <input id={props.id} name="scope" value={props.value} autocomplete="off" spellcheck={false} aria-describedby={`${props.id}-hint`} />
      <p class="hint" id={`${props.id}-hint`}>
        For the Support role only: the tenant ids this support user may enter, separated by spaces or commas, or <code>*</code> for every tenant.
      </p>
    </>
  );
}

export function NewUserForm(props: { frame: ConsoleFrame; management: boolean; values?: NewUserValues; error?: string | undefined }) {
  const f = props.frame;
  const w = words(props.management);
  const v = props.values ?? { username: '', roles: ['user'], scope: '' };
  return (
    <ConsolePage frame={f} title={w.add}>
      <FormError error={props.error} />
      <form method="post" action={`${f.base}/users`} class="stacked">
        <input type="hidden" name="csrf" value={f.csrf} />
        <label for="username">Username</label>
        <input id="username" name="username" value={v.username} required maxLength={100} autocomplete="off" spellcheck={false} aria-describedby="username-hint" />
        <p class="hint" id="username-hint">
          Letters, digits and . _ @ + - (no $ or /). Unique in {f.tenant}, whatever the case.
        </p>
        <PasswordFields idPrefix="new" label="Password" />
        <RoleChecks idPrefix="new" legend="Roles" offered={rolesOffered(props.management)} checked={v.roles} />
        {props.management ? <ScopeField id="scope" value={v.scope} /> : null}
        <FormButtons submit={`Create ${w.one}`} cancel={`${f.base}/users`} />
      </form>
    </ConsolePage>
  );
}

/** One user: whether it can sign in first, then its roles and a new password. */
export function UserPage(props: { frame: ConsoleFrame; user: PublicUser; management: boolean; error?: string | undefined; values?: { roles: string[]; scope: string } }) {
  const f = props.frame;
  const u = props.user;
  const self = u.username === f.username;
  const path = userPath(f.base, u);
  const w = words(props.management);
  return (
    <ConsolePage frame={f} title={`${props.management ? 'Staff member' : 'User'} ${u.username}`}>
      <FormError error={props.error} />
      <p class={`state ${u.enabled ? 'on' : 'off'}`} id="user-state">
        {u.enabled ? `${u.username} is enabled and can sign in.` : `${u.username} is disabled and cannot sign in.`}
      </p>
      <dl>
        <dt>Roles</dt>
        <dd>{roleList(u.roles)}</dd>
        {props.management ? (
          <>
            <dt>Support scope</dt>
            <dd>{scopeText(u)}</dd>
          </>
        ) : null}
        <dt>Created</dt>
        <dd>{formatTime(Date.parse(u.createdAt))}</dd>
        <dt>Last changed</dt>
        <dd>{formatTime(Date.parse(u.updatedAt))}</dd>
        <dt>Password set</dt>
        <dd>{u.passwordChangedAt ? formatTime(Date.parse(u.passwordChangedAt)) : 'when created'}</dd>
      </dl>

      <h2>Sign-in</h2>
      {self ? (
        <p class="hint">This is your own account: another administrator can disable it.</p>
      ) : u.enabled ? (
        <>
          <p>Disabling {u.username} ends their sessions on their next click and refuses new sign-ins{props.management ? ', support sessions included' : ''}. You can enable them again.</p>
          <div class="actions">
            <PostButton action={`${path}/enabled`} csrf={f.csrf} label={`Disable ${u.username}`} className="danger" fields={{ enabled: 'false' }} />
          </div>
        </>
      ) : (
        <div class="actions">
          <PostButton action={`${path}/enabled`} csrf={f.csrf} label={`Enable ${u.username}`} fields={{ enabled: 'true' }} />
        </div>
      )}

      <h2>Roles</h2>
      <form method="post" action={`${path}/roles`} class="stacked">
        <input type="hidden" name="csrf" value={f.csrf} />
        <RoleChecks idPrefix="edit" legend={`Roles of ${u.username}`} offered={rolesOffered(props.management)} checked={props.values?.roles ?? u.roles} />
        {props.management ? <ScopeField id="edit-scope" value={props.values?.scope ?? (u.roles.includes('support') ? u.scope.join(' ') : '')} /> : null}
        <FormButtons submit="Save roles" />
      </form>

      <h2>Reset password</h2>
      <form method="post" action={`${path}/password`} class="stacked">
        <input type="hidden" name="csrf" value={f.csrf} />
        <PasswordFields idPrefix="reset" label="New password" />
        <p class="hint">Tell {u.username} the new password through a channel you trust.</p>
        <FormButtons submit="Set password" />
      </form>
      <p>
        <a href={`${f.base}/users`}>Back to {w.title.toLowerCase()}</a>
      </p>
    </ConsolePage>
  );
}
