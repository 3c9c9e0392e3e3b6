import { Router } from 'express';

/** The audit viewer (filled in by the audit work). */
export function auditPages(): Router {
  return Router();
}
