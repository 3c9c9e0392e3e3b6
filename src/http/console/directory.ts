import { Router } from 'express';

/** Users, clients, tenants and settings pages (filled in by the directory work). */
export function directoryPages(): Router {
  return Router();
}
