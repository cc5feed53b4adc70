// The "science_fiction" style: young space cadets, robots, starships, planets and friendly
// aliens. Teams, not crews; commanders, not captains (those words belong to the sea).
#include "text/stories/story_grammar.h"

namespace loralab::stories {
namespace {

using G = Gender;

StyleSpec make_science_fiction() {
  StyleSpec s;
  s.name = "science_fiction";
  s.description = "Science fiction: starships, robots, planets, aliens and space stations.";
  s.signature = {"starship", "robot",    "planet",  "space",   "rocket",    "alien",
                 "galaxy",   "asteroid", "laser",   "orbit",   "commander", "astronaut",
                 "station",  "computer", "gravity", "oxygen",  "spacesuit", "comet",
                 "engine",   "screen",   "meteor",  "cadet",   "control",   "beep"};
  s.roles = {
      {'H', "hero",
       {{"Nova", G::kFemale}, {"Zara", G::kFemale}, {"Luna", G::kFemale},  {"Tess", G::kFemale},
        {"Ada", G::kFemale},  {"Vega", G::kFemale}, {"Juno", G::kFemale},  {"Kira", G::kFemale},
        {"Kai", G::kMale},    {"Orion", G::kMale},  {"Jax", G::kMale},     {"Rex", G::kMale},
        {"Cole", G::kMale},   {"Milo", G::kMale},   {"Theo", G::kMale},    {"Ren", G::kNeutral},
        {"Sky", G::kNeutral}, {"Ari", G::kNeutral}}},
      {'F', "robot",
       {{"Bolt", G::kMale},  {"Beep", G::kNeutral}, {"Zip", G::kMale},  {"Gizmo", G::kMale},
        {"Pixel", G::kFemale}, {"Nell", G::kFemale}, {"Cog", G::kMale}, {"Dot", G::kFemale},
        {"Sprocket", G::kNeutral}}},
      {'C', "commander",
       {{"Commander Vale", G::kFemale}, {"Commander Stone", G::kMale},
        {"Commander Ortiz", G::kFemale}, {"Commander Hale", G::kMale},
        {"Commander Reyes", G::kNeutral}, {"Commander Quinn", G::kFemale}}},
  };

  s.rules = {
      {"story",
       {"{opening} {background} {?daily}\n\n{problem} {upset}\n\n{attempt} {fail} {helper}\n\n"
        "{turn} {resolution} {?cheer}\n\n{ending}",
        "{opening} {?background}\n\n{problem} {upset}\n\n{helper} {attempt} {fail}\n\n{turn}\n\n"
        "{resolution} {ending}",
        "{opening}\n\n{problem} {attempt} {fail}\n\n{helper} {turn} {resolution}\n\n{?lesson} "
        "{ending}"}},
      {"job", {"space cadet", "young pilot", "junior engineer", "astronaut in training",
               "star map reader"}},
      {"ship", {"Silver Comet", "Star Hopper", "Bright Falcon", "Nova Seven", "Blue Horizon",
                "Little Meteor"}},
      {"tag", {"said", "said calmly", "said quietly", "said firmly"}},
      {"model", {"small silver robot", "round robot with blinking lights",
                 "tall robot with long, bendy arms", "tiny robot on one wheel",
                 "shiny blue robot"}},
      {"home", {"aboard the starship {@ship}", "on a space station high above a blue planet",
                "on a moon base with glass domes", "on a starship near the edge of the galaxy"}},
      {"trait", {"brave", "curious", "clever", "quick", "careful", "cheerful", "bold", "eager"}},
      {"opening",
       {"Far out in space, {home}, lived a {trait} {H:job} named {H}.",
        "{H} was a {trait} {H:job} who lived {home}.",
        "In the year 3000, a {trait} {H:job} named {H} lived {home}.",
        "{H} was the youngest {H:job} {home}, and {H.he} loved to watch the stars through the "
        "big round window.",
        "There was once a {trait} {H:job} named {H} who dreamed of flying a rocket to every "
        "planet in the galaxy."}},
      {"background",
       {"{H.His} best friend was {F}, a {F:model} who liked to {robotfun}.",
        "Every morning, {H} checked the engines with {F}, {H.his} helpful robot.",
        "{C} was in charge, and {C.he} always said that {H} had the sharpest eyes in space.",
        "{H.His} robot, {F}, could count every star on the screen in one second.",
        "{H} spent every evening in the control room, learning the names of the planets from "
        "{C}.",
        "{H.His} favorite thing was floating in the gravity room, where everything drifted "
        "like feathers.",
        "{H} had a little telescope and a sketchbook full of drawings of comets."}},
      {"chore", {"polishing the windows of the control room", "checking the oxygen tanks",
                 "feeding the space fish", "playing chess with {F}", "reading star charts",
                 "fixing little things with {F}"}},
      {"daily",
       {"Most days were quiet, and {H} spent them {chore}.",
        "Life in space was calm, and {H} liked {chore}.",
        "Every afternoon, {H} was busy {chore}."}},
      {"cheer",
       {R"("We did it!" {H} shouted.)",
        R"("Mission complete!" {H} said with a grin.)",
        R"({F} beeped three times, which meant "Hooray!")",
        "Everyone clapped, and {H} gave {F} a high five."}},
      {"robotfun", {"beep when {F.he} {F.was} happy", "tell terrible jokes", "hum little songs",
                    "spin in circles"}},
      {"upset",
       {"Red lights flashed all over the control room.",
        R"("This is not good," {H} said, and {H.his} heart beat fast.)",
        R"("Warning! Warning!" said the computer in a flat voice.)",
        "{H} felt a cold shiver, but {H.he} told {H.himself} to stay calm.",
        R"({F} spun around in a circle. "Beep! Beep! Trouble!" {F.he} cried.)",
        R"("Stay calm," {H} told {H.himself}. "Think first, then act.")",
        "An alarm began to wail, and the lights turned red."}},
      {"lesson",
       {"{H} learned that a calm mind is the best tool in space.",
        "{H} learned that even in deep space, friends are the best thing to have."}},
      {"ending",
       {"That night, {H} looked out at the stars and smiled. Space was full of surprises.",
        R"("Good job, cadet," said {C}, and {H} felt as bright as a comet.)",
        "The stars twinkled outside the window, and {H} could not wait for the next adventure.",
        "That night, {H} wrote the whole adventure in {H.his} space log.",
        "{H} smiled. Being an astronaut was the best job in the whole galaxy.",
        "{C} gave {H} a shiny silver star to pin on {H.his} spacesuit.",
        "And {F} beeped a happy song for {H} all the way home."}},
  };

  s.plots = {
      {"engine_failure",
       {{"problem",
         {"One day, the starship was flying past a field of asteroids when the main "
          "engine coughed and stopped. The starship began to drift toward the big rocks.",
          "Suddenly, there was a loud bang, and the starship's engine went quiet. Without the "
          "engine, the starship could not get home."}},
        {"attempt",
         {"{H} pressed the big green button on the control panel.",
          "{H} tried to restart the engine from the computer.",
          "{H} pulled the red lever as hard as {H.he} could."}},
        {"fail",
         {"But the engine only sputtered and went quiet again.",
          "Nothing happened. The screen just said: ERROR.",
          "The lights flickered, but the engine did not start."}},
        {"helper",
         {R"({C} put a hand on {H}'s shoulder. "Think, cadet," {C.he} {tag}. "What does the engine need?")",
          R"({F} rolled closer and scanned the engine. "I see a loose wire, deep inside where hands cannot reach," {F.he} {tag}.)"}},
        {"turn",
         {"{H} put on a spacesuit and floated outside the starship. A tiny pebble from an asteroid "
          "was stuck in the fuel pipe, and {H} pulled it out.",
          "{H} had an idea. {F} was small enough to crawl inside the engine, so {H} guided "
          "{F.him} with a flashlight while {F} fixed the wire."}},
        {"resolution",
         {"With a mighty roar, the engine came back to life, and the starship zoomed safely "
          "away from the asteroids.",
          "The engine hummed again, and everyone in the control room cheered."}}}},
      {"alien_signal",
       {{"problem",
         {"One night, the computer picked up a strange signal from a small purple planet. It "
          "went beep, beep, boop, over and over again.",
          "One morning, a tiny flashing light appeared on the screen. Someone on the planet "
          "below was calling for help."}},
        {"attempt",
         {"{H} tried to answer the signal, but the computer could not understand it.",
          "{H} sent a friendly hello, but the planet did not answer."}},
        {"fail",
         {"The signal only grew weaker and weaker.",
          "The beeping went on and on."}},
        {"helper",
         {R"({F} tilted {F.his} head. "It sounds like music," {F.he} {tag}. "Maybe they speak in songs.")",
          R"({C} looked at the screen for a long time. "We should go down and see," {C.he} {tag}. "Carefully.")"}},
        {"turn",
         {"They landed the rocket on the purple planet. Behind a hill, they found a family of "
          "little green aliens whose space car had a flat tire.",
          "{H} played the signal back as a song. At once, the planet answered with a happy "
          "tune, and a small alien waved from a crater."}},
        {"resolution",
         {"{H} and {F} helped the aliens fix their little spacecraft. The aliens gave {H} a glowing blue "
          "stone to say thank you.",
          "The aliens were lost and far from home. {H} showed them the way on the star map, "
          "and they waved goodbye as their spacecraft zoomed away."}}}},
      {"lost_robot",
       {{"problem",
         {"One day, {H} and {F} were exploring a rocky red planet. When {H} turned around, "
          "{F} was gone!",
          "During a dust storm on the moon of a huge planet, {F} rolled away and did not come "
          "back to the rocket."}},
        {"attempt",
         {"{H} called {F} on the radio again and again.",
          "{H} followed the little wheel tracks in the red dust."}},
        {"fail",
         {"But there was only crackling noise on the radio.",
          "But the wind blew the tracks away."}},
        {"helper",
         {R"({C} spoke over the radio. "Use the scanner, cadet," {C.he} {tag}. "Robots give off heat.")",
          R"(A voice crackled in {H}'s helmet. It was {C}. "Stay calm and look for something shiny," {C.he} {tag}.)"}},
        {"turn",
         {"The scanner beeped. At the bottom of a deep crater, {H} saw a tiny blinking light. "
          "{F} was stuck between two rocks!",
          "Something shiny glinted at the bottom of a crater. It was {F}, with one wheel stuck "
          "in the sand."}},
        {"resolution",
         {"{H} climbed down carefully, lifted {F} out and carried {F.him} all the way back to "
          "the rocket.",
          R"({H} pulled {F} free with a rope. "Thank you for finding me," {F} beeped.)"}}}},
      {"meteor_shower",
       {{"home", {"on a space station high above a blue planet",
                  "on a busy space station near a ringed planet"}},
        {"problem",
         {"One morning, a shower of tiny meteors hit the space station. One of them made a "
          "crack in the big glass window of the garden dome.",
          "During a meteor storm, a pebble of space rock cracked the window of the control "
          "room, and a thin whistle of air began to leak out."}},
        {"attempt",
         {"{H} pressed a piece of tape over the crack.",
          "{H} pushed a pillow against the window."}},
        {"fail",
         {"But the crack kept growing, slowly, like a spider web.",
          "But soon a thin whistle of escaping air filled the room."}},
        {"helper",
         {R"({C} stayed very calm. "We have enough oxygen for one hour," {C.he} {tag}. "That is plenty of time to fix it.")",
          R"({F} opened a panel on {F.his} chest. "I carry space glue," {F.he} {tag}. "But we must put it on from the outside.")"}},
        {"turn",
         {"{H} put on {H.his} spacesuit, clipped on a safety line and floated out into space "
          "with a tube of space glue.",
          "{H} and {F} closed the heavy door and sealed the crack with a shiny metal patch."}},
        {"resolution",
         {"The crack was sealed, the air stopped leaking, and everyone was safe again.",
          "Soon the window was as good as new, and the space plants were back in the sun."}}}},
      {"space_garden",
       {{"home", {"on a space station high above a blue planet",
                  "on a busy space station near a ringed planet"}},
        {"problem",
         {"On the space station, {H} took care of the space garden. But one week, all the "
          "tomato plants began to droop and turn brown.",
          "The space station needed fresh food, but the plants in the space garden were not "
          "growing at all."}},
        {"attempt",
         {"{H} gave the plants more water.",
          "{H} played soft music for the plants on the computer."}},
        {"fail",
         {"But the leaves only drooped lower.",
          "But the plants stayed small and pale."}},
        {"helper",
         {R"({F} scanned the plants. "They are hungry for light," {F.he} {tag}. "The sun is too far away out here.")",
          R"({C} looked at the plants and frowned. "Plants need sunlight," {C.he} {tag}. "Where can we find more light in space?")"}},
        {"turn",
         {"{H} had an idea. {H.He} and {F} built a ring of mirrors that caught the light of the "
          "nearest star and shone it on the garden.",
          "{H} moved the whole garden next to the big window that faced the bright blue star."}},
        {"resolution",
         {"Within a week, the plants were green and strong, and soon there were red tomatoes for "
          "everyone on the station.",
          "The plants grew tall and leafy, and {C} ate the first space tomato and said it was "
          "delicious."}}}},
      {"lost_in_space",
       {{"problem",
         {"One day, the navigation computer broke, and the starship was lost among the stars.",
          "A flash of space lightning hit the starship, and all the star maps on the screen went "
          "blank."}},
        {"attempt",
         {"{H} tried to reboot the computer.",
          "{H} flew in a slow circle, hoping to see a planet {H.he} knew."}},
        {"fail",
         {"But the screen stayed dark.",
          "But every star looked the same."}},
        {"helper",
         {R"({C} smiled. "Long ago, travelers found their way without computers," {C.he} {tag}. "They used the stars.")",
          R"({F} beeped. "I remember one thing," {F.he} {tag}. "Our home star is the bright orange one with three moons.")"}},
        {"turn",
         {"{H} looked out of the window for a long time. At last {H.he} found three bright stars "
          "in a row, just like on the old paper map.",
          "{H} and {F} searched the sky together until they spotted a bright orange star with "
          "three tiny moons."}},
        {"resolution",
         {"{H} steered the starship toward it, and two days later they were home.",
          "{H} set the course by hand, and the starship flew straight home."}}}},
      {"stowaway",
       {{"problem",
         {"One morning, {H} found tiny purple tracks all over the control room. Something "
          "had been chewing the wires!",
          "One night, the lights on the starship kept blinking off. Something small was hiding "
          "in the walls."}},
        {"attempt",
         {"{H} set a trap with a space snack.",
          "{H} searched every room with a flashlight."}},
        {"fail",
         {"But in the morning, the snack was gone and the trap was empty.",
          "But whatever it was, it was too quick to catch."}},
        {"helper",
         {R"({F} pointed with {F.his} long arm. "Listen," {F.he} {tag}. "It is humming a little song.")",
          R"({C} laughed. "I think we have a stowaway," {C.he} {tag}. "A hungry one.")"}},
        {"turn",
         {"Behind the engine, {H} found a small fuzzy alien with six legs and big shiny eyes. It "
          "was shaking and hungry.",
          "{H} hummed the same little song, and out came a small fuzzy alien with three eyes."}},
        {"resolution",
         {"{H} gave the alien a bowl of space soup, and it purred like a cat. It became the "
          "starship's friendly pet, and it never chewed a wire again.",
          "They took the little alien back to its home planet, where its family waved all four "
          "of their arms to say thank you."}}}},
      {"tired_robot",
       {{"problem",
         {"One morning, {F} would not wake up. {F.His} lights were dim, and {F.he} only made a "
          "tiny, sleepy beep.",
          "In the middle of a game of chess, {F} slowed down, blinked twice and stopped moving."}},
        {"attempt",
         {"{H} pressed the restart button on {F}'s back.",
          "{H} plugged {F} into the charger in the control room."}},
        {"fail",
         {"But {F} only blinked once and went dark again.",
          "But the charger sparked and the screen said: PART BROKEN."}},
        {"helper",
         {R"({C} looked inside {F}'s chest. "The power crystal is cracked," {C.he} {tag}. "There is a new one in the supply room, but it is locked.")",
          R"({C} handed {H} a small tool kit. "You have watched {F} fix things for years," {C.he} {tag}. "Now it is your turn.")"}},
        {"turn",
         {"{H} found the spare power crystal in the supply room, opened {F}'s chest panel and "
          "clicked the new crystal into place.",
          "{H} read the robot manual on the screen, step by step, and replaced the cracked "
          "power crystal with steady hands."}},
        {"resolution",
         {R"({F}'s lights flickered, then shone bright blue. "Good morning!" {F} beeped. "Did I miss anything?" {H} laughed and gave {F} a big hug.)",
          "{F} sat up, beeped a happy song and gave {H} a hug with {F.his} metal arms."}}}},
  };
  return s;
}

}  // namespace

const StyleSpec& science_fiction_style() {
  static const StyleSpec style = make_science_fiction();
  return style;
}

}  // namespace loralab::stories
