#pragma once

int store_migrations_count(void);
/* SQL of the step that reaches version (1-based), or NULL. */
const char *store_migration_sql(int version);
