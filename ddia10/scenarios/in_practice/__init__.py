"""Chapter 8, "Consistency in practice": what the chapter stages on :mod:`ddia10.coord`.

- :mod:`.campaigns` — every recipe under random crashes, partitions and pauses.
"""

from .campaigns import (
    BUGS,
    CAMPAIGN_DURATION,
    RECIPES,
    RecipeCampaign,
    RecipeRun,
    campaign,
    recipe_cluster,
    recipe_run,
)

__all__ = ["BUGS", "CAMPAIGN_DURATION", "RECIPES", "RecipeCampaign", "RecipeRun", "campaign",
           "recipe_cluster", "recipe_run"]
