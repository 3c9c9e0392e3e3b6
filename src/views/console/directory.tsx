/** Pieces the directory pages (users, clients, tenants, settings, password) share. */
import type { Role } from '../../users/users.js';

/** What went wrong with the form just sent, above the form (a person can fix it and send again). */
export function FormError(props: { error?: string | undefined }) {
  if (!props.error) return null;
  return (
    <p class="error" role="alert">
      Not saved: {props.error}
    </p>
  );
}

/** Each role in plain words, with what it lets its holder do. */
export const ROLE_WORDS: Record<Role, { label: string; hint: string }> = {
  user: { label: 'User', hint: 'signs in to the tenant and its apps' },
  'tenant-admin': { label: 'Tenant admin', hint: 'manages users, clients and settings of this tenant' },
  auditor: { label: 'Auditor', hint: 'reads and exports the audit log' },
  'platform-admin': { label: 'Platform admin', hint: 'manages tenants, staff and the global support settings' },
  support: { label: 'Support', hint: 'signs in to customer tenants in its scope as one of their users, while they allow it' },
};

export const roleList = (roles: readonly Role[]) => roles.map((r) => ROLE_WORDS[r].label).join(', ');

/** The roles as checkboxes, each with its label and what it grants. */
export function RoleChecks(props: { idPrefix: string; legend: string; offered: readonly Role[]; checked: readonly string[] }) {
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {props.offered.map((role) => {
        const id = `${props.idPrefix}-role-${role}`;
        return (
          <label class="check" for={id}>
            <input type="checkbox" id={id} name="roles" value={role} checked={props.checked.includes(role)} />
            <span>
              {ROLE_WORDS[role].label} <span class="muted">— {ROLE_WORDS[role].hint}</span>
            </span>
          </label>
        );
      })}
    </fieldset>
  );
}

/** A new password, typed twice (never filled in again after a mistake). */
export function PasswordFields(props: { idPrefix: string; label: string }) {
  return (
    <>
      <label for={`${props.idPrefix}-password`}>{props.label}</label>
      <input type="password" id={`${props.idPrefix}-password`} name="password" autocomplete="new-password" minLength={8} maxLength={1024} required aria-describedby={`${props.idPrefix}-password-hint`} />
      <p class="hint" id={`${props.idPrefix}-password-hint`}>
        At least 8 characters.
      </p>
      <label for={`${props.idPrefix}-repeat`}>Repeat the password</label>
      <input type="password" id={`${props.idPrefix}-repeat`} name="repeat" autocomplete="new-password" minLength={8} maxLength={1024} required />
    </>
  );
}

/** A value only a screen reader needs (which row a repeated link acts on). */
export function Unseen(props: { children: string }) {
  return <span class="vh">{props.children}</span>;
}

/** A form's buttons: the one that sends it and, where there is a way back, Cancel. */
export function FormButtons(props: { submit: string; cancel?: string; danger?: boolean }) {
  return (
    <div class="actions">
      <button type="submit" class={props.danger ? 'danger' : undefined}>
        {props.submit}
      </button>
      {props.cancel ? (
        <a class="button secondary" href={props.cancel}>
          Cancel
        </a>
      ) : null}
    </div>
  );
}
