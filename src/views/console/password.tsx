import { FormButtons, FormError, PasswordFields } from './directory.js';
import { ConsolePage, type ConsoleFrame } from './layout.js';

/** The user menu's "Change password": the signed-in user's own, typed twice. */
export function PasswordPage(props: { frame: ConsoleFrame; error?: string | undefined }) {
  const f = props.frame;
  return (
    <ConsolePage frame={f} title="Change password">
      <FormError error={props.error} />
      <p>
        A new password for <strong>{f.username}</strong> in {f.tenant}, for every app that signs in through {f.tenant}.
      </p>
      <form method="post" action={`${f.base}/password`} class="stacked">
        <input type="hidden" name="csrf" value={f.csrf} />
        <PasswordFields idPrefix="own" label="New password" />
        <FormButtons submit="Change password" cancel={f.base} />
      </form>
    </ConsolePage>
  );
}
