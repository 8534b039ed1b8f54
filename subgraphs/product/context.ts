import DataLoader from 'dataloader';
import type { SubgraphContext } from '@palisade/kit';
import type { CategoryRow, ProductRow } from './db/schema.ts';
import type { CatalogService } from './services/catalog.service.ts';

export interface ProductContext extends SubgraphContext {
  catalog: CatalogService;
  productById: DataLoader<string, ProductRow | null>;
  categoryById: DataLoader<string, CategoryRow | null>;
}

export const createProductContext = (catalog: CatalogService) => (base: SubgraphContext): ProductContext => ({
  ...base,
  catalog,
  productById: new DataLoader((ids) => catalog.productsByIds(ids)),
  categoryById: new DataLoader((ids) => catalog.categoriesByIds(ids)),
});
