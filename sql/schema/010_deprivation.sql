-- 010_deprivation: the deprivation indices the store holds and the ONS lookup between their LSOA vintages.
--
-- IoD2019 ranks LSOAs of 2011 boundaries (lsoa_reference, since 001); IoD2025 ranks LSOAs of 2021 boundaries
-- (lsoa21_reference). Which index a period uses is a dated setting (deprivation_iod2025_from_year,
-- deprivation_iod2025_from_quarter); a code of the other vintage is mapped through lsoa_changes (docs/methods.md
-- section 7.1). The rows are copied from reference/ by kpi.core.deprivation.ensure_indices.

create table deprivation_indices (
    index_code    varchar primary key,          -- IoD2019, IoD2025
    index_name    varchar not null,
    lsoa_vintage  integer not null,             -- 2011 or 2021: the LSOA boundaries the index ranks
    published_on  date not null,
    lsoa_count    integer not null,
    licence       varchar not null
);

-- National LSOA (2021) lookup with IMD 2025 and IDACI 2025 rank and decile (MHCLG, OGL v3).
create table lsoa21_reference (
    lsoa_code     varchar primary key,
    lsoa_name     varchar not null,
    lad_code      varchar not null,
    lad_name      varchar not null,
    imd_rank      integer not null,
    imd_decile    integer not null check (imd_decile between 1 and 10),
    idaci_rank    integer not null,
    idaci_decile  integer not null check (idaci_decile between 1 and 10),
    imd_edition   varchar not null
);

-- ONS exact-fit LSOA (2011) -> LSOA (2021) lookup, England: U unchanged, S split, M merged, X irregular (OGL v3).
create table lsoa_changes (
    lsoa11_code   varchar not null,
    lsoa21_code   varchar not null,
    change        varchar not null check (change in ('U', 'S', 'M', 'X')),
    lad_code      varchar not null,
    primary key (lsoa11_code, lsoa21_code)
);
