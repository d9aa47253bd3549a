use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Commune::Table)
                    .col(string_len(Commune::Insee, 5).primary_key())
                    .col(string_len(Commune::Kind, 3))
                    .col(string_len_null(Commune::Parent, 5))
                    .col(string(Commune::Name))
                    .col(string_len(Commune::Departement, 3))
                    .col(string_len(Commune::Region, 3))
                    .col(string_len(Commune::Zone, 5))
                    .col(integer(Commune::Population))
                    .col(string(Commune::Postcodes))
                    .col(double(Commune::Lat))
                    .col(double(Commune::Lon))
                    .col(small_integer(Commune::FrrCode))
                    .col(boolean(Commune::Frr))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_commune_departement")
                    .table(Commune::Table)
                    .col(Commune::Departement)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(College::Table)
                    .col(string_len(College::Uai, 8).primary_key())
                    .col(string(College::Name))
                    .col(string_len(College::Sector, 6))
                    .col(string_len(College::CommuneInsee, 5))
                    .col(string(College::CommuneName))
                    .col(string_len(College::Departement, 3))
                    .col(string_len(College::Region, 3))
                    .col(double_null(College::Lat))
                    .col(double_null(College::Lon))
                    .col(string_len_null(College::EducationPrioritaire, 8))
                    .col(double_null(College::Ips))
                    .col(string_len(College::Etat, 16))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_college_departement")
                    .table(College::Table)
                    .col(College::Departement)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(College::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Commune::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Commune {
    Table,
    Insee,
    Kind,
    Parent,
    Name,
    Departement,
    Region,
    Zone,
    Population,
    Postcodes,
    Lat,
    Lon,
    FrrCode,
    Frr,
}

#[derive(DeriveIden)]
enum College {
    Table,
    Uai,
    Name,
    Sector,
    CommuneInsee,
    CommuneName,
    Departement,
    Region,
    Lat,
    Lon,
    EducationPrioritaire,
    Ips,
    Etat,
}
