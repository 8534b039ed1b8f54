import DataLoader from 'dataloader';
import type { SubgraphContext } from '@palisade/kit';
import type { CategoryRow, ProductRow } from './db/schema.ts';
import type { CatalogService } from './services/catalog.service.ts';
import type { CategoryService } from './services/category.service.ts';

export interface ProductContext extends SubgraphContext {
  catalog: CatalogService;
  categories: CategoryService;
  productById: DataLoader<string, ProductRow | null>;
  categoryById: DataLoader<string, CategoryRow | null>;
}

export const createProductContext = (catalog: CatalogService, categories: CategoryService) => (base: SubgraphContext): ProductContext => ({
  ...base,
  catalog,
  categories,
  productById: new DataLoader((ids) => catalog.productsByIds(ids)),
  categoryById: new DataLoader((ids) => catalog.categoriesByIds(ids)),
});
