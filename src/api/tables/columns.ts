// Column definitions as Kubernetes declares them. Descriptions quote the API documentation where
// Kubernetes does; columns whose upstream description is generated from field docs we do not
// carry are left with an empty description (kubectl never shows it).

import type { TableColumnDefinition } from './types.js';

export const NAME_DOC =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may ' +
  'allow a client to request the generation of an appropriate name automatically. Name is primarily intended ' +
  'for creation idempotence and configuration definition. Cannot be updated. More info: ' +
  'https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

export const CREATED_DOC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not ' +
  'guaranteed to be set in happens-before order across separate operations. Clients may not set this value. ' +
  'It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. ' +
  'More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export const CONTAINERS_DOC = 'Names of each container in the template.';
export const IMAGES_DOC = 'Images referenced by each container in the template.';

interface ColumnOptions {
  type?: string;
  format?: string;
  description?: string;
  priority?: number;
}

export function column(name: string, options: ColumnOptions = {}): TableColumnDefinition {
  return {
    name,
    type: options.type ?? 'string',
    format: options.format ?? '',
    description: options.description ?? '',
    priority: options.priority ?? 0,
  };
}

export const nameColumn = column('Name', { format: 'name', description: NAME_DOC });
export const ageColumn = column('Age', { description: CREATED_DOC });

/** The wide CONTAINERS, IMAGES and SELECTOR columns of the workload kinds. */
export function templateColumns(): TableColumnDefinition[] {
  return [
    column('Containers', { priority: 1, description: CONTAINERS_DOC }),
    column('Images', { priority: 1, description: IMAGES_DOC }),
    column('Selector', { priority: 1 }),
  ];
}
