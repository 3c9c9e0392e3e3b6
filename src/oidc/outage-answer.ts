import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type Provider from 'oidc-provider';
import { errorPage } from '../views/messages.js';
import { toOidcError } from './errors.js';

/**
 * A store outage that escapes oidc-provider's own error handlers still gets the standard answer:
 * a page for a person's browser, the OAuth `temporarily_unavailable` JSON for a program, 503.
 * One does escape: the provider saves a touched session after its authorization endpoint's error
 * handler has run (`ensureSessionSave`), so a Redis gone during a resume would reach Koa's default
 * handler and leave as a bare text/plain 503. Added before the provider's routes, after
 * registeredAuthMethodOnly; the provider must not have been turned into a handler yet.
 */
export function answerStoreOutages(provider: Provider): Provider {
  provider.use(async (ctx: KoaContextWithOIDC, next: () => Promise<unknown>) => {
    try {
      await next();
    } catch (err) {
      const refused = toOidcError(err);
      if (!(refused instanceof errors.TemporarilyUnavailable)) throw err;
      ctx.status = 503;
      ctx.set('Cache-Control', 'no-store');
      // What escapes is a browser's navigation (authorize, resume): "any type" means a page.
      if (ctx.accepts('html', 'json') === 'html') {
        ctx.type = 'html';
        ctx.body = errorPage('Sign-in error', refused.error_description ?? refused.message);
      } else {
        ctx.body = { error: refused.message, error_description: refused.error_description };
      }
    }
  });
  return provider;
}
