import type { ComponentChildren } from 'preact';
import { Document } from '../document.js';
import { until } from './format.js';

export interface NavItem {
  href: string;
  label: string;
}

/** What every console page knows about who is looking (built by http/console/context.ts). */
export interface ConsoleFrame {
  tenant: string;
  /** The console's base path, /t/{tenant}/console. */
  base: string;
  username: string;
  /** Set in a support session jill$john: the support user, and the end of the access. */
  support: { actor: string; until: number | null } | null;
  nav: NavItem[];
  /** The path of the page shown, to mark its nav item. */
  current: string;
  csrf: string;
  now: number;
  flash?: string | undefined;
}

/** The console's frame: header with tenant and user menu, the support banner, navigation, content. */
export function ConsolePage(props: { frame: ConsoleFrame; title: string; children: ComponentChildren }) {
  const f = props.frame;
  return (
    <Document title={`${props.title} · ${f.tenant} · supportgate`} bodyClass="console" script>
      <a class="skip" href="#content">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">
          supportgate <span class="tenant">{f.tenant}</span>
        </span>
        <nav aria-label="Console">
          <ul>
            {f.nav.map((item) => (
              <li>
                <a href={item.href} aria-current={item.href === f.current ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <details class="user-menu">
          <summary>{f.support ? `${f.support.actor} as ${f.username}` : f.username}</summary>
          <div class="menu">
            <a href={`${f.base}`}>Support access</a>
            {f.support ? null : <a href={`${f.base}/password`}>Change password</a>}
            <form method="post" action={`${f.base}/logout`}>
              <input type="hidden" name="csrf" value={f.csrf} />
              <button type="submit" class="link">
                Sign out
              </button>
            </form>
          </div>
        </details>
      </header>
      {f.support ? (
        <p class="banner" role="status">
          <strong>{f.support.actor} (support)</strong> signed in as <strong>{f.username}</strong> — {until(f.support.until, f.now)}
        </p>
      ) : null}
      <main id="content" class="content">
        {f.flash ? (
          <p class="flash" role="status">
            {f.flash}
          </p>
        ) : null}
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </Document>
  );
}

/** A small form that posts one action with the CSRF token: the console's buttons. */
export function PostButton(props: { action: string; csrf: string; label: string; className?: string; fields?: Record<string, string> }) {
  return (
    <form method="post" action={props.action} class="inline">
      <input type="hidden" name="csrf" value={props.csrf} />
      {Object.entries(props.fields ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={props.className}>
        {props.label}
      </button>
    </form>
  );
}

/** The console's error page: what was refused, in plain words, and the way back. */
export function ConsoleErrorPage(props: { frame: ConsoleFrame; title: string; message: string }) {
  return (
    <ConsolePage frame={props.frame} title={props.title}>
      <p class="error" role="alert">
        {props.message}
      </p>
      <p>
        <a href={props.frame.base}>Back to the console</a>
      </p>
    </ConsolePage>
  );
}
