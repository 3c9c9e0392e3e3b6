/**
 * The one stylesheet, served at /static/supportgate.css (the CSP allows no inline style). The
 * sign-in cards centre themselves with `body.centred`; the console lays out a plain body.
 */
export const STYLESHEET = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f3f5f8;color:#1d2433;margin:0}
body.centred{display:flex;min-height:100vh;align-items:center;justify-content:center}
.card{background:#fff;padding:2rem 2.25rem;border-radius:10px;box-shadow:0 2px 12px rgba(0,0,0,.08);width:100%;max-width:22rem}
h1{font-size:1.4rem;margin:0 0 .25rem}
.muted,.hint{color:#5b6577;font-size:.9rem}
label{display:block;font-weight:600;margin:1rem 0 .3rem;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:.55rem .65rem;border:1px solid #c4cad4;border-radius:6px;font-size:1rem}
button{margin-top:1.25rem;width:100%;padding:.65rem;border:0;border-radius:6px;background:#2457d6;color:#fff;font-size:1rem;cursor:pointer}
button.secondary{background:#e6e9ef;color:#1d2433}
.error{background:#fdecec;color:#9b1c1c;padding:.6rem .75rem;border-radius:6px}
code{background:#eef1f6;padding:0 .25rem;border-radius:4px}
.identity{font-size:1.3rem;font-weight:700;color:#2457d6}
table{border-collapse:collapse;margin-top:1rem;font-size:.85rem}th{text-align:left;padding:.2rem .6rem .2rem 0;color:#5b6577}td code{word-break:break-all}
`;
