-- Issue 22: a token that changes whenever what the statistics read of the catalogue
-- changes (a resource added or removed, its kind changed; a violation type label
-- added, removed or changed). The statistics keep the catalogue they read in memory
-- and read it again only when the token differs: reading 100,000 resources and their
-- labels was a fifth of a year's national statistics. A random token rather than a
-- counter, so that two databases (a copy, a restored backup) are never taken for one.
CREATE TABLE catalog_generation (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    token INTEGER NOT NULL
);
INSERT INTO catalog_generation (id, token) VALUES (1, random());

CREATE TRIGGER catalog_generation_resource_added AFTER INSERT ON resources BEGIN
    UPDATE catalog_generation SET token = random();
END;
CREATE TRIGGER catalog_generation_resource_changed AFTER UPDATE OF id, kind ON resources BEGIN
    UPDATE catalog_generation SET token = random();
END;
CREATE TRIGGER catalog_generation_resource_removed AFTER DELETE ON resources BEGIN
    UPDATE catalog_generation SET token = random();
END;
CREATE TRIGGER catalog_generation_label_added AFTER INSERT ON resource_labels
WHEN NEW.facet = 'violation' BEGIN
    UPDATE catalog_generation SET token = random();
END;
CREATE TRIGGER catalog_generation_label_changed AFTER UPDATE ON resource_labels
WHEN OLD.facet = 'violation' OR NEW.facet = 'violation' BEGIN
    UPDATE catalog_generation SET token = random();
END;
CREATE TRIGGER catalog_generation_label_removed AFTER DELETE ON resource_labels
WHEN OLD.facet = 'violation' BEGIN
    UPDATE catalog_generation SET token = random();
END;
