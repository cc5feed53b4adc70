// The "mystery" style: a young detective, a partner and a dog with a good nose solve a gentle
// small-town case from clues, a wrong suspect and a final hunch. Nobody is ever really bad.
#include "text/stories/story_grammar.h"

namespace loralab::stories {
namespace {

using G = Gender;

StyleSpec make_mystery() {
  StyleSpec s;
  s.name = "mystery";
  s.description = "Mysteries: young detectives, clues, footprints, suspects and solved cases.";
  s.signature = {"detective", "clue",        "mystery",  "footprint", "magnifying", "notebook",
                 "suspect",   "case",        "solved",   "evidence",  "thief",      "fingerprint",
                 "witness",   "investigate", "inspector", "sleuth",   "hunch",      "culprit",
                 "missing",   "trail"};
  s.roles = {
      {'H', "detective",
       {{"Nora", G::kFemale},  {"Olive", G::kFemale}, {"Iris", G::kFemale},  {"Poppy", G::kFemale},
        {"Stella", G::kFemale}, {"Ruth", G::kFemale}, {"Milo", G::kMale},    {"Theo", G::kMale},
        {"Oscar", G::kMale},   {"Felix", G::kMale},   {"Arlo", G::kMale},    {"Hugo", G::kMale},
        {"Quinn", G::kNeutral}, {"Ellis", G::kNeutral}, {"Frankie", G::kNeutral}}},
      {'F', "partner",
       {{"Ada", G::kFemale},  {"June", G::kFemale},  {"Hattie", G::kFemale}, {"Wes", G::kMale},
        {"Gus", G::kMale},    {"Louis", G::kMale},   {"Sasha", G::kNeutral}}},
      {'O', "neighbor",
       {{"Mrs. Plum", G::kFemale}, {"Mr. Finch", G::kMale},   {"Miss Honey", G::kFemale},
        {"Mr. Button", G::kMale},  {"Mrs. Wren", G::kFemale}, {"Mr. Gray", G::kMale},
        {"Ms. Lark", G::kFemale}}},
      {'D', "dog",
       {{"Scout", G::kMale}, {"Sherlock", G::kMale}, {"Penny", G::kFemale}, {"Ginger", G::kFemale},
        {"Bear", G::kMale},  {"Patch", G::kMale},    {"Clue", G::kFemale}}},
  };

  s.rules = {
      {"story",
       {"{opening} {background}\n\n{problem} {react}\n\n{clue1} {clue2}\n\n{suspect} {helper}"
        "\n\n{turn} {resolution} {?thanks}\n\n{ending}",
        "{opening}\n\n{problem} {react}\n\n{clue1} {clue2} {?think}\n\n{suspect} {helper}\n\n"
        "{turn} {resolution} {?thanks} {ending}",
        "{opening} {?background}\n\n{problem} {react} {?look} {clue1}\n\n{suspect} {clue2} "
        "{helper}\n\n{turn} {resolution} {ending}",
        "{opening}\n\n{problem} {clue1} {clue2}\n\n{helper} {turn}\n\n{resolution} {?lesson} "
        "{ending}"}},
      {"town", {"Pebble Creek", "Willow Bend", "Maple Hollow", "Brightwater", "Foxglove"}},
      {"trait", {"clever", "sharp-eyed", "curious", "patient", "careful", "quick-thinking",
                 "smart", "thoughtful", "bright"}},
      {"pencil", {"sharp pencil", "red pencil", "stubby little pencil", "pencil behind {H.his} ear"}},
      {"shop", {"the bakery", "the bookshop", "the hat shop", "the flower shop", "the post office"}},
      {"street", {"Elm Street", "Cobble Lane", "Market Street", "Hill Road"}},
      {"coat", {"long brown coat", "yellow raincoat", "coat with big pockets", "checkered coat"}},
      {"skill", {"noticing small things", "remembering faces", "drawing maps",
                 "asking the right questions"}},
      {"clubplace", {"attic", "garden shed", "tree house"}},
      {"pot", {"flowerpot", "teapot", "mailbox"}},
      {"look",
       {"{H} took out {H.his} magnifying glass.",
        "{H} looked around very carefully.",
        "First, {H} searched for clues.",
        "{H} got down on {H.his} hands and knees to look closely.",
        "{H} walked slowly around, looking at everything."}},
      {"think",
       {"{H} tapped {H.his} pencil against {H.his} chin and thought hard.",
        "{H} wrote the clues in {H.his} notebook and read them twice.",
        "Hmm, thought {H}. The clues were starting to fit together.",
        R"("Interesting," said {H} quietly. "Very interesting.")",
        "{H} had a hunch, but {H.he} needed one more clue."}},
      {"thanks",
       {R"({O} shook {H}'s hand. "Thank you, detective!" {O.he} {tag}.)",
        R"("I knew you could solve it," said {O} with a happy smile.)",
        "{O} said {H} was the cleverest detective in all of {@town}."}},
      {"tag", {"said", "said slowly", "said with a grin", "whispered"}},
      {"pie", {"cherry", "blueberry", "apple", "peach"}},
      {"dogkind", {"a little brown dog with a very good nose", "a shaggy gray dog",
                   "a spotted dog who could sniff out anything", "a fluffy white dog"}},
      {"when", {"One morning", "One afternoon", "One sunny day", "Early on Saturday"}},
      {"opening",
       {"In the little town of {@town}, there lived a {trait} young detective named {H}.",
        "{H} was a {trait} young detective. {H.He} had a magnifying glass, a notebook and a "
        "{pencil}.",
        "{H} lived above {shop} on {street} in {@town}, and {H.he} {H.was} the best detective "
        "on the whole street.",
        "Nothing in {@town} stayed a mystery for long, because {H}, the {trait} young detective, "
        "lived there.",
        "{H} had a {coat} and a detective hat, and {H.he} looked for mysteries everywhere.",
        "Everyone in {@town} knew {H}, the youngest detective in town.",
        "{H} was a {trait} kid who loved a good mystery more than anything.",
        "{H} wanted to be a great detective one day, so {H.he} always carried a notebook in "
        "{H.his} pocket."}},
      {"background",
       {"{H.His} partner was {F}, who was very good at {skill}.",
        "{H} always worked with {H.his} dog, {D}, {dogkind}.",
        "{H} and {F} had a secret detective club in the {clubplace}, with a sign that said NO "
        "MYSTERY TOO SMALL.",
        "{H.His} dog, {D}, went everywhere with {H.him} and sniffed every clue.",
        "{H} kept a box of detective tools under {H.his} bed: a flashlight, a magnifying glass "
        "and a jar of fingerprint powder.",
        "Once, {H} had found the mayor's lost glasses in a {pot}, and everyone still talked "
        "about it.",
        "{H.His} notebook was full of solved cases, from a lost mitten to a runaway hat.",
        "Every Saturday, {H} and {F} walked around {@town}, looking for mysteries to solve."}},
      {"react",
       {R"("This is a case for a detective," {H} said, and {H.he} took out {H.his} notebook.)",
        R"("Don't worry," said {H}. "I will {solveit}.")",
        "{H} put on {H.his} thinking cap and grabbed {H.his} magnifying glass.",
        R"("A real mystery!" said {H}. "Let's investigate.")",
        "{H} listened carefully and wrote down every word in {H.his} notebook.",
        R"("Tell me everything," said {H}. "Even the smallest thing can be a clue.")",
        R"("Leave it to me," said {H}, putting on {H.his} {hat}.)",
        "{H} nodded slowly. Every mystery had an answer, and {H.he} would find it."}},
      {"hat", {"detective hat", "thinking cap", "lucky cap"}},
      {"solveit", {"solve this mystery", "get to the bottom of this", "find out what happened",
                   "crack this case"}},
      {"lesson",
       {"{H} wrote in {H.his} notebook: Always look closely, and never guess too fast.",
        "{H} learned that the best detectives listen more than they talk."}},
      {"ending",
       {R"("Another case solved!" said {H}, and {H.he} closed {H.his} notebook with a snap.)",
        "That evening, {H} wrote the whole case in {H.his} notebook and drew a star next to "
        "it.",
        "And {H}, the young detective of {@town}, was ready for the next mystery.",
        R"("Case closed," said {H} with a grin.)",
        "Everyone in town agreed that {H} was the best detective they had ever had.",
        "{H} put {H.his} magnifying glass away, ready for the next mystery.",
        "That night, {H} slept like a log. Solving a case was hard work.",
        R"("Every mystery has an answer," {H} told {F}. "You just have to look.")",
        "{H} added the case to {H.his} notebook. It was case number {number}."}},
      {"number", {"seven", "twelve", "twenty", "forty-two", "ninety-nine"}},
  };

  s.plots = {
      {"missing_pie",
       {{"problem",
         {"{when}, {O} came running up the street. {O.His} {@pie} pie had been cooling "
          "on the windowsill, and now it was missing!",
          "On the morning of the town fair, {O} baked a {@pie} pie for the contest. When "
          "{O.he} turned around, the pie was gone."}},
        {"clue1",
         {"Under the window, {H} found a trail of crumbs leading into the garden.",
          "{H} looked closely at the windowsill and found small muddy footprints."}},
        {"clue2",
         {"In the soft dirt, there were tiny footprints with five little fingers, like hands.",
          "Next to the fence, there was a tuft of gray fur caught on a nail."}},
        {"suspect",
         {"At first, {H} suspected the boy next door, who loved pie. But the boy had been at "
          "the dentist all afternoon.",
          "The first suspect was the mail carrier, but {O} said the mail had come hours "
          "before."}},
        {"helper",
         {R"({F} pointed at the old hollow tree. "Look," {F.he} whispered. "Something is moving up there.")",
          "{D} sniffed the windowsill, barked once and ran straight to the hollow tree at the end of "
          "the garden."}},
        {"turn",
         {"Inside the hollow tree, {H} saw a fat raccoon with a very full belly and crumbs on "
          "its nose. The thief had a mask on its face!",
          "Up in the tree, {H} spotted a mother raccoon and three babies sharing the pie."}},
        {"resolution",
         {"{O} laughed so hard that {O.he} forgot to be angry. The next day, {O.he} baked two "
          "pies, one for the neighbors and one for the raccoons.",
          "{O} was not mad at all. {O.He} thanked {H} and gave {H.him} the last slice of pie "
          "as a reward."}}}},
      {"shiny_thief",
       {{"shiny", {"silver key", "gold ring", "shiny thimble", "old pocket watch"}},
        {"problem",
         {"{when}, {O} knocked on {H}'s door. {O.His} {@shiny} had vanished from the "
          "garden table.",
          "{O} was very upset. {O.He} had put {O.his} {@shiny} on the porch railing for just a "
          "minute, and now it was missing."}},
        {"clue1",
         {"On the table, {H} found a long black feather.",
          "{H} checked for fingerprints, but there were none. There was only a scratch mark, "
          "like a tiny claw."}},
        {"clue2",
         {"{O} said that a spoon and a button had gone missing last week, too.",
          "High above, {H} heard a loud caw, caw."}},
        {"suspect",
         {"At first, {H} suspected the window cleaner, but the window cleaner had only come on "
          "Tuesday.",
          "{F} thought it might be the naughty twins from across the street, but they were "
          "visiting their aunt."}},
        {"helper",
         {R"({F} looked up. "Crows love shiny things," {F.he} {tag}.)",
          "{D} sat under the tall pine tree and barked at a big messy nest."}},
        {"turn",
         {"{H} climbed a ladder to the nest. Inside were a spoon, a button, three bottle caps "
          "and the {@shiny}. The culprit was a crow!",
          "{H} watched the tree with binoculars. A crow flew down, grabbed a bottle cap and "
          "carried it to its nest, right next to the {@shiny}."}},
        {"resolution",
         {"{H} gave the {@shiny} back to {O}, and {O} gave {H} a big hug.",
          "{O} got the {@shiny} back and left a bowl of buttons out for the crow, so it would "
          "leave {O.his} things alone."}}}},
      {"night_noise",
       {{"problem",
         {"Every night, {O} heard a strange scratching sound in the attic. Scritch, scratch, "
          "thump! {O.He} asked {H} to investigate.",
          "For three nights, something in {O}'s attic went tap, tap, tap. {O} was too nervous "
          "to sleep."}},
        {"clue1",
         {"In the attic, {H} found a pile of empty nutshells in a corner.",
          "With {H.his} flashlight, {H} saw a small hole near the roof."}},
        {"clue2",
         {"There were tiny footprints in the dust, each one smaller than a coin.",
          "On a dusty beam, there was a bushy gray hair."}},
        {"suspect",
         {"{O} was sure it was a ghost, but {H} did not believe in ghosts.",
          "At first, {H} thought it was the old clock, but the clock was quiet."}},
        {"helper",
         {R"({F} held up a nutshell. "Ghosts don't eat nuts," {F.he} said with a grin.)",
          "{D} sniffed at the hole and wagged {D.his} tail very fast."}},
        {"turn",
         {"That night, {H} hid behind a box and waited. At midnight, a squirrel popped through "
          "the hole with an acorn in its mouth!",
          "That night, {H} set up a camera. In the morning, the pictures showed a squirrel "
          "hiding its nuts for the winter."}},
        {"resolution",
         {"{H} helped {O} build a cozy squirrel house in the tree outside and then patched the "
          "hole, so everyone could sleep.",
          "{O} laughed with relief. The next day, {O.he} put a feeder full of nuts in the yard "
          "for the squirrel."}}}},
      {"missing_cat",
       {{"catname", {"Whiskers", "Marmalade", "Socks", "Pumpkin", "Smokey"}},
        {"problem",
         {"{when}, {O}'s cat, {@catname}, was missing. {O.He} had looked everywhere.",
          "{O} put up a sign: MISSING CAT. {O.His} orange cat, {@catname}, had not come home "
          "for supper."}},
        {"clue1",
         {"{H} found white paw prints on the sidewalk outside the bakery.",
          "The baker said a sack of flour had been knocked over during the night."}},
        {"clue2",
         {"Outside the bakery, white paw prints led to the back door.",
          "There were white cat hairs stuck to the bakery's back door."}},
        {"suspect",
         {"At first, {H} thought a big dog had chased the cat away, but the dog had been "
          "sleeping by the fire all night.",
          "Someone said a stranger had been seen with a basket, but it turned out to be a "
          "basket of apples."}},
        {"helper",
         {R"({F} pointed at the flour. "A cat covered in flour leaves white footprints," {F.he} {tag}.)",
          "{D} followed the smell of bread, nose down and tail up."}},
        {"turn",
         {"Behind the flour sacks, {H} found {@catname}, snug and warm, fast asleep next to four "
          "tiny new babies!",
          "In the warm storeroom, {H} found {@catname} curled up in a basket of bread rolls, "
          "white with flour from nose to tail."}},
        {"resolution",
         {"{O} was overjoyed, and the baker gave everyone a warm bun to celebrate.",
          "{O} carried {@catname} home and gave {H} a jar of homemade jam for solving the "
          "case."}}}},
      {"muddy_prints",
       {{"problem",
         {"{when}, the town library was a mess. There were muddy footprints everywhere, "
          "and a whole row of books had been knocked over. {O} asked {H} to find out who did "
          "it.",
          "When {O} opened the flower shop, {O.he} found muddy prints all over the floor and "
          "half the daisies eaten!"}},
        {"clue1",
         {"{H} studied the footprints with {H.his} magnifying glass. They were not shoes. They "
          "were small and split in two, like hooves.",
          "{H} noticed that a window had been left open just a little."}},
        {"clue2",
         {"A long white hair was stuck on the door.",
          "Someone had chewed the corner of a paper bag."}},
        {"suspect",
         {"The first suspect was the mayor's big dog, but the dog had been asleep on the mayor's "
          "porch all night.",
          "{O} suspected the painter, who had muddy boots. But the boot prints were far too "
          "big."}},
        {"helper",
         {R"({F} wrote in the notebook. "Hooves, white hair, chewed paper," {F.he} read out loud. "Who eats paper?")",
          "{D} pulled {H} toward the edge of town, where the farm was."}},
        {"turn",
         {"At the farm, {H} found a little white goat with mud on its hooves and a daisy in its "
          "mouth. The gate of its pen was wide open.",
          "Behind the farm fence, a small white goat was chewing on a book about flowers."}},
        {"resolution",
         {"The farmer fixed the gate, and the goat said sorry with a loud baa.",
          "Everyone helped clean up, and the goat got a new lock on its gate."}}}},
      {"secret_note",
       {{"thanks",
         {R"("Three cheers for our detective!" shouted {F}.)",
          "Everyone clapped, and {H} laughed until {H.his} sides hurt."}},
        {"problem",
         {"{when}, {H} found a note under {H.his} door. It said: MEET AT THE OLD OAK AT FOUR. "
          "There was no name.",
          "{H} found a strange note in a library book. It was written in a secret code."}},
        {"react",
         {R"("A secret message!" {H} said. "This is a real mystery.")",
          "{H} put on {H.his} detective hat and read the note again and again."}},
        {"clue1",
         {"The note smelled of vanilla, and there was a tiny blob of pink frosting on the "
          "corner.",
          "{H} cracked the code. Each letter was one step along the alphabet."}},
        {"clue2",
         {"{F} was acting very strange all day and kept giggling.",
          "{H} noticed that {O} was carrying a big box and hiding it behind {O.his} back."}},
        {"suspect",
         {"{H} wondered if it was a trick, but the handwriting looked friendly.",
          "At first, {H} suspected {F}, but {F} said {F.he} knew nothing, with a very big "
          "smile."}},
        {"helper",
         {"{D} sniffed the note and wagged {D.his} tail, as if {D.he} knew the secret already.",
          "{H} looked at all the evidence in {H.his} notebook: vanilla, frosting, giggles."}},
        {"turn",
         {"At four o'clock, {H} went to the old oak. Everyone jumped out and shouted, "
          "\"Surprise!\" It was a party for {H}!",
          "The code led to the old oak tree, where balloons were tied to every branch. It was "
          "a surprise party, and the guest of honor was {H}!"}},
        {"resolution",
         {R"({F} laughed. "We needed a mystery that even you could not solve," {F.he} {tag}.)",
          "There was a big pink cake with a magnifying glass drawn on top in frosting."}}}},
      {"prize_ribbon",
       {{"problem",
         {"On the day of the flower show, the blue prize ribbon went missing from the judges' "
          "table. {O} was very worried.",
          "Just before the pet show, {O} noticed that the golden prize ribbon was gone."}},
        {"clue1",
         {"{H} found a thin blue thread caught on a rose bush.",
          "Outside the tent, {H} saw a line of small footprints in the soft dirt."}},
        {"clue2",
         {"The wind had been very strong that morning.",
          "A little girl said that something bright had flown right over the tent."}},
        {"suspect",
         {"Some people suspected the winner of last year's show, but the winner had been in the "
          "tent the whole time.",
          "{O} thought someone had stolen it, but {H} was not so sure."}},
        {"helper",
         {R"({F} pointed to the sky. "Look at the scarecrow in the field," {F.he} {tag}.)",
          "{D} ran to the edge of the field and barked at the scarecrow."}},
        {"turn",
         {"There, on the scarecrow's hat, {H} spotted the ribbon, flapping in the breeze. The "
          "wind was the thief!",
          "{H} found the ribbon tied around the scarecrow's neck. A bird had carried it there "
          "to build a nest!"}},
        {"resolution",
         {"{H} brought the ribbon back just in time, and the show began with a cheer.",
          "{O} pinned the ribbon back on the table and gave {H} a ribbon of {H.his} own, for "
          "the best detective in town."}}}},
      {"vanishing_carrots",
       {{"problem",
         {"Every morning, {O} found fewer carrots in {O.his} garden. Someone was pulling them up "
          "at night!",
          "{O} was growing the biggest carrots in {@town} for the harvest fair. But one by one, "
          "they were disappearing."}},
        {"clue1",
         {"{H} found a little hole dug under the garden fence.",
          "{H} saw tiny tooth marks on a carrot top left in the dirt."}},
        {"clue2",
         {"Beside the fence, there were small round footprints in pairs, one behind the other.",
          "A few soft white hairs were stuck to the fence post."}},
        {"suspect",
         {"At first, {O} suspected the neighbor's goat, but the goat was tied up all night.",
          "Some people blamed the boy who delivered the milk, but the boy did not even like "
          "carrots."}},
        {"helper",
         {R"({F} knelt by the hole. "This hole is too small for a person," {F.he} {tag}. "Look how round it is.")",
          "{D} sniffed the hole and began to dig, wagging {D.his} tail with excitement."}},
        {"turn",
         {"That night, {H} hid behind the rain barrel with a flashlight. At midnight, a mother "
          "rabbit and four little bunnies hopped under the fence and began to nibble.",
          "{H} followed the tracks across the field and found a rabbit burrow. Inside, a "
          "family of rabbits was sleeping on a pile of carrot tops."}},
        {"resolution",
         {"{O} smiled. {O.He} planted an extra row of carrots by the fence just for the "
          "rabbits, and the big carrots were safe for the fair.",
          "{H} helped {O} mend the fence, and {O} left a basket of carrot tops outside for the "
          "rabbits every evening."}}}},
  };
  return s;
}

}  // namespace

const StyleSpec& mystery_style() {
  static const StyleSpec style = make_mystery();
  return style;
}

}  // namespace loralab::stories
