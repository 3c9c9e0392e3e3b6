/** The console's layout on top of the base stylesheet: laptop and phone, readable contrast. */
export const CONSOLE_STYLESHEET = `
body.console{margin:0;background:#f3f5f8;color:#1d2433;font-family:system-ui,-apple-system,"Segoe UI",sans-serif}
.skip{position:absolute;left:-999px}.skip:focus{left:.5rem;top:.5rem;background:#fff;padding:.4rem;z-index:10}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.25rem;background:#1d2433;color:#fff;padding:.6rem 1.25rem}
.top a{color:#fff}.brand{font-weight:700}.brand .tenant{font-weight:400;background:#3a4560;border-radius:4px;padding:.05rem .45rem;margin-left:.35rem}
.top nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:0;padding:0}
.top nav a{text-decoration:none;padding:.2rem 0}.top nav a[aria-current=page]{border-bottom:2px solid #8fb0ff}
.user-menu{margin-left:auto;position:relative}.user-menu summary{cursor:pointer;list-style:none;padding:.25rem .5rem;border:1px solid #56607a;border-radius:6px}
.user-menu .menu{position:absolute;right:0;top:2.2rem;background:#fff;color:#1d2433;border-radius:8px;box-shadow:0 4px 16px rgba(0,0,0,.2);padding:.5rem;min-width:12rem;z-index:5}
.user-menu .menu a{display:block;color:#1d2433;padding:.4rem .5rem;text-decoration:none}.user-menu .menu a:hover{background:#eef1f6}
button.link{background:none;color:#1d2433;width:100%;text-align:left;padding:.4rem .5rem;margin:0;font-size:1rem}
.banner{margin:0;background:#fff4d6;color:#5c4300;border-bottom:1px solid #e8cf8a;padding:.6rem 1.25rem}
.content{max-width:64rem;margin:0 auto;padding:1.25rem}
.content h1{font-size:1.5rem;margin:.25rem 0 1rem}.content h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.flash{background:#e4f6ea;color:#14532d;padding:.6rem .75rem;border-radius:6px}
.state{font-size:1.1rem;padding:.75rem 1rem;border-radius:8px;background:#fff;border-left:6px solid #8a94a6}.state.on{border-left-color:#1f8a4c}.state.off{border-left-color:#8a94a6}
.confirm{font-size:1.1rem;background:#fff;padding:.75rem 1rem;border-radius:8px;border-left:6px solid #2457d6}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;margin:1rem 0}
.actions button,.actions .button{width:auto;margin:0}
a.button,.button{display:inline-block;padding:.6rem 1rem;border-radius:6px;background:#2457d6;color:#fff;text-decoration:none;border:0;font-size:1rem}
a.button.secondary,button.secondary{background:#e6e9ef;color:#1d2433}
button.danger{background:#b42318}
form.inline{display:inline}form.inline button{width:auto;margin:0;padding:.4rem .75rem;font-size:.9rem}
form.stacked{max-width:32rem}form.stacked button{width:auto}
select{width:100%;box-sizing:border-box;padding:.55rem .65rem;border:1px solid #c4cad4;border-radius:6px;font-size:1rem;background:#fff}
fieldset{border:1px solid #c4cad4;border-radius:6px;margin:1rem 0;padding:.5rem .75rem}legend{font-weight:600;font-size:.9rem}
.check{display:flex;gap:.5rem;align-items:center;font-weight:400;margin:.35rem 0}.check input{width:auto}
.table-wrap{overflow-x:auto;background:#fff;border-radius:8px}
.content table{width:100%;min-width:36rem;border-collapse:collapse;margin:0;font-size:.9rem}
.content caption{text-align:left;padding:.5rem .75rem;color:#5b6577;font-size:.85rem}
.content th,.content td{text-align:left;padding:.5rem .75rem;border-top:1px solid #e6e9ef;vertical-align:top}
.content thead th{color:#3d4657;background:#f7f8fa}
.badge{display:inline-block;border-radius:999px;padding:.05rem .55rem;font-size:.8rem;background:#e6e9ef;color:#1d2433}
.badge.active,.badge.success{background:#dcf3e5;color:#14532d}.badge.expired{background:#eef1f6;color:#3d4657}.badge.closed,.badge.failure{background:#fde2e1;color:#8a1c1c}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem}dt{font-weight:600;color:#3d4657}dd{margin:0;overflow-wrap:anywhere}
.filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:.25rem 1rem;background:#fff;padding:.75rem 1rem;border-radius:8px}
.filters label{margin:.25rem 0}
.muted{color:#5b6577}
@media (max-width:40rem){.top{padding:.5rem .75rem}.content{padding:.75rem}.user-menu{margin-left:0}}
.audit-filters{grid-template-columns:repeat(auto-fill,minmax(16rem,1fr))}.filters .actions{grid-column:1/-1;margin:.5rem 0 0}.filters .hint{display:block;margin-top:.2rem}
.actions form.inline button.verify{padding:.6rem 1rem;font-size:1rem}
.state.broken{border-left-color:#b42318}
.nowrap{white-space:nowrap}.wrap{overflow-wrap:anywhere}
dl.nested{margin:0;gap:.15rem .75rem;border-left:2px solid #e6e9ef;padding-left:.6rem}
@media (max-width:40rem){.content table.stack{min-width:0}table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}table.stack,table.stack tbody,table.stack tr,table.stack td{display:block}table.stack caption{display:block}table.stack tr{border-top:1px solid #e6e9ef;padding:.35rem 0}.content table.stack td{border:0;padding:.15rem .75rem}table.stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:#3d4657}dl.entry,dl.nested{grid-template-columns:1fr;gap:.1rem}dl.entry dd{margin-bottom:.5rem}}
.badge.enabled{background:#dcf3e5;color:#14532d}.badge.disabled,.badge.suspended{background:#fde2e1;color:#8a1c1c}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
ul.plain{list-style:none;margin:0;padding:0}ul.plain li+li{margin-top:.25rem}
textarea{width:100%;box-sizing:border-box;padding:.55rem .65rem;border:1px solid #c4cad4;border-radius:6px;font:inherit;font-size:.95rem;resize:vertical}
textarea.secret{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.95rem;background:#fff;word-break:break-all;resize:none;max-width:32rem}
form.stacked .hint{margin:.3rem 0 0}form.stacked fieldset{margin:1.25rem 0 .5rem}
.check span .muted{font-size:.85rem}.check input[type=radio],.check input[type=checkbox]{flex:none;width:1.05rem;height:1.05rem;margin:0}
a.button.danger{background:#b42318;color:#fff}
.table-wrap{position:relative}.actions form.inline button{padding:.6rem 1rem;font-size:1rem}
form.stacked .check{align-items:flex-start}form.stacked .check input{margin-top:.2rem}
`;

/**
 * The console's only script, progressive enhancement: the user menu closes on Escape or a click
 * elsewhere. Every page works without it.
 */
export const CONSOLE_SCRIPT = `document.addEventListener('click',function(e){document.querySelectorAll('details.user-menu[open]').forEach(function(d){if(!d.contains(e.target))d.removeAttribute('open')})});
document.addEventListener('keydown',function(e){if(e.key==='Escape')document.querySelectorAll('details.user-menu[open]').forEach(function(d){d.removeAttribute('open')})});
`;
