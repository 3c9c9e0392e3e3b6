import type { ComponentChildren } from 'preact';

/**
 * The one HTML shell of every page: no script but the optional external one (the CSP allows no
 * inline script), one stylesheet, a viewport for phones.
 */
export function Document(props: { title: string; children: ComponentChildren; bodyClass?: string; script?: boolean }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/static/supportgate.css" />
        {props.script ? <script src="/static/supportgate.js" defer /> : null}
      </head>
      <body class={props.bodyClass}>{props.children}</body>
    </html>
  );
}

/** A small centred card: the sign-in, consent, logout and error pages. */
export function CardPage(props: { title: string; children: ComponentChildren }) {
  return (
    <Document title={props.title} bodyClass="centred">
      <main class="card">{props.children}</main>
    </Document>
  );
}
