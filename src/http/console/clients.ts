import { Router } from 'express';
import { z } from 'zod';
import type { PublicClientRecord } from '../../clients/clients.js';
import { AppError } from '../../errors.js';
import { parseInput } from '../../validation.js';
import { ClientList, EditClientForm, NewClientForm, RotateConfirm, SecretShown } from '../../views/console/clients.js';
import { formBody } from '../forms.js';
import { consoleOf, flash, requireCsrf, sendPage, type Console } from './context.js';
import { checkbox, csrfField, formMistake, lines } from './fields.js';

const uriText = z.string().max(10_000).default('');
const newClientForm = z.object({ csrf: csrfField, clientId: z.string().max(200), redirectUris: uriText, postLogoutRedirectUris: uriText, public: checkbox });
const editClientForm = z.object({ csrf: csrfField, redirectUris: uriText, postLogoutRedirectUris: uriText });
const csrfOnly = z.object({ csrf: csrfField });

/** The client a page is about, read through the directory (the read is the permission check). */
async function clientById(c: Console, clientId: string): Promise<PublicClientRecord> {
  const client = (await c.admin.listClients(c.tenant)).find((x) => x.clientId === clientId);
  if (!client) throw new AppError('CLIENT_NOT_IN_TENANT', undefined, { params: { clientId: clientId.slice(0, 100), tenant: c.tenant } });
  return client;
}

/**
 * The tenant's OIDC clients (its admin): list, register, edit redirect URIs, rotate the secret.
 * A secret is shown once, in the answer to the POST that made it: never in a URL, a flash or
 * anything stored.
 */
export function clientPages(): Router {
  const router = Router();

  router.get('/clients', async (_req, res, next) => {
    try {
      const c = consoleOf(res);
      const clients = (await c.admin.listClients(c.tenant)).sort((a, b) => a.clientId.localeCompare(b.clientId));
      sendPage(res, ClientList({ frame: c.frame, clients }));
    } catch (err) {
      next(err);
    }
  });

  router.get('/clients/new', async (_req, res, next) => {
    try {
      const c = consoleOf(res);
      await c.admin.listClients(c.tenant);
      sendPage(res, NewClientForm({ frame: c.frame }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/clients', formBody, async (req, res, next) => {
    try {
      const c = consoleOf(res);
      requireCsrf(req, c);
      const form = parseInput(newClientForm, req.body, 'form');
      try {
        const redirectUris = lines.parse(form.redirectUris);
        // The console registers sign-in clients only (machines and APIs come from the CLI or the API).
        if (redirectUris.length === 0) throw new AppError('CLIENT_NEEDS_REDIRECT_URI');
        const created = await c.admin.createClient({ tenant: c.tenant, clientId: form.clientId, redirectUris, postLogoutRedirectUris: lines.parse(form.postLogoutRedirectUris), public: form.public });
        sendPage(res, SecretShown({ frame: c.frame, client: created.client, secret: created.clientSecret, rotated: false }), 201);
      } catch (err) {
        sendPage(res, NewClientForm({ frame: c.frame, values: form, error: formMistake(err) }), 400);
      }
    } catch (err) {
      next(err);
    }
  });

  router.get('/clients/:clientId/edit', async (req, res, next) => {
    try {
      const c = consoleOf(res);
      sendPage(res, EditClientForm({ frame: c.frame, client: await clientById(c, req.params.clientId) }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/clients/:clientId/edit', formBody, async (req, res, next) => {
    try {
      const c = consoleOf(res);
      requireCsrf(req, c);
      const form = parseInput(editClientForm, req.body, 'form');
      const client = await clientById(c, req.params.clientId);
      try {
        const redirectUris = lines.parse(form.redirectUris);
        if (redirectUris.length === 0) throw new AppError('CLIENT_NEEDS_REDIRECT_URI');
        await c.admin.updateClient({ tenant: c.tenant, clientId: client.clientId, redirectUris, postLogoutRedirectUris: lines.parse(form.postLogoutRedirectUris) });
        await flash(res, c, `The redirect URIs of ${client.clientId} are saved.`);
        res.redirect(303, `${c.base}/clients`);
      } catch (err) {
        sendPage(res, EditClientForm({ frame: c.frame, client, values: form, error: formMistake(err) }), 400);
      }
    } catch (err) {
      next(err);
    }
  });

  router.get('/clients/:clientId/rotate', async (req, res, next) => {
    try {
      const c = consoleOf(res);
      const client = await clientById(c, req.params.clientId);
      if (client.public) throw new AppError('CLIENT_PUBLIC_NO_SECRET', undefined, { params: { clientId: client.clientId } });
      sendPage(res, RotateConfirm({ frame: c.frame, client }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/clients/:clientId/rotate', formBody, async (req, res, next) => {
    try {
      const c = consoleOf(res);
      requireCsrf(req, c);
      parseInput(csrfOnly, req.body, 'form');
      const rotated = await c.admin.rotateClientSecret({ tenant: c.tenant, clientId: req.params.clientId });
      sendPage(res, SecretShown({ frame: c.frame, client: rotated.client, secret: rotated.clientSecret, rotated: true }));
    } catch (err) {
      next(err);
    }
  });

  return router;
}
