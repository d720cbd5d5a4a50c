"""The seeded Contoso tenant: constants, fixture tables, entity schema, generator and store."""
