import { Router } from 'express';

/** The tenant's Properties page (filled in by the audit work). */
export function propertiesPages(): Router {
  return Router();
}
