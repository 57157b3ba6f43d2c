-- The material a sector's units used, in the order recommendations rank it (most
-- units, then reports, then participants): "for your unit" walks this from the top
-- and stops once it has what it shows (before: every resource labelled with the
-- sector was read and ranked on each home and resource page).
CREATE INDEX sector_use_rank ON sector_use(sector, units DESC, reports DESC, participants DESC)
    WHERE units > 0;
