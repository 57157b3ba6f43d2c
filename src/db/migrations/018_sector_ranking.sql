-- The material a sector's units used that is labelled with their sector, in the order
-- recommendations rank it (most units, then reports, then participants): "for your
-- unit" walks this from the top and stops once it has what it shows (before: every
-- resource labelled with the sector was read and ranked on each home and resource
-- page). `labelled` keeps out of the walk what the sector's units borrowed from other
-- sectors, most of their use; triggers keep it in step with the sector labels.
ALTER TABLE sector_use ADD COLUMN labelled INTEGER NOT NULL DEFAULT 0;

UPDATE sector_use SET labelled = EXISTS (
    SELECT 1 FROM resource_labels l
     WHERE l.resource_id = sector_use.resource_id AND l.facet = 'sector'
       AND l.value = sector_use.sector);

CREATE TRIGGER sector_use_labelled_when_added AFTER INSERT ON sector_use BEGIN
    UPDATE sector_use SET labelled = EXISTS (
        SELECT 1 FROM resource_labels l
         WHERE l.resource_id = NEW.resource_id AND l.facet = 'sector' AND l.value = NEW.sector)
     WHERE sector = NEW.sector AND resource_id = NEW.resource_id;
END;

CREATE TRIGGER sector_use_label_added AFTER INSERT ON resource_labels
WHEN NEW.facet = 'sector' BEGIN
    UPDATE sector_use SET labelled = 1
     WHERE sector = NEW.value AND resource_id = NEW.resource_id;
END;

CREATE TRIGGER sector_use_label_removed AFTER DELETE ON resource_labels
WHEN OLD.facet = 'sector' BEGIN
    UPDATE sector_use SET labelled = 0
     WHERE sector = OLD.value AND resource_id = OLD.resource_id;
END;

CREATE TRIGGER sector_use_label_changed AFTER UPDATE OF resource_id, facet, value
ON resource_labels BEGIN
    UPDATE sector_use SET labelled = EXISTS (
        SELECT 1 FROM resource_labels l
         WHERE l.resource_id = sector_use.resource_id AND l.facet = 'sector'
           AND l.value = sector_use.sector)
     WHERE (sector = OLD.value AND resource_id = OLD.resource_id)
        OR (sector = NEW.value AND resource_id = NEW.resource_id);
END;

CREATE INDEX sector_use_rank
    ON sector_use(sector, units DESC, reports DESC, participants DESC)
    WHERE units > 0 AND labelled = 1;
