// The "fairy_tale" style: princesses, princes and young knights, castles, dragons, wizards and
// enchanted forests, told with "once upon a time" and "happily ever after".
#include "text/stories/story_grammar.h"

namespace loralab::stories {
namespace {

using G = Gender;

StyleSpec make_fairy_tale() {
  StyleSpec s;
  s.name = "fairy_tale";
  s.description = "Fairy tales: castles, dragons, wizards, magic spells and enchanted forests.";
  s.signature = {"castle", "kingdom", "dragon", "princess", "prince",  "king",   "queen",
                 "wizard", "witch",   "fairy",  "magic",    "spell",   "enchanted", "knight",
                 "wand",   "potion",  "unicorn", "troll",   "giant",   "crown",  "tower",
                 "forest", "cottage", "goblin", "royal"};
  s.roles = {
      {'H', "hero",
       {{"Rose", G::kFemale},  {"Ivy", G::kFemale},     {"Clara", G::kFemale},
        {"Elena", G::kFemale}, {"Mira", G::kFemale},    {"Greta", G::kFemale},
        {"Isabel", G::kFemale}, {"Maren", G::kFemale},  {"Oliver", G::kMale},
        {"Hugo", G::kMale},    {"Felix", G::kMale},     {"Tomas", G::kMale},
        {"Arthur", G::kMale},  {"Jasper", G::kMale},    {"Florian", G::kMale},
        {"Cedric", G::kMale},  {"Rowan", G::kNeutral},  {"Wren", G::kNeutral},
        {"Robin", G::kNeutral}}},
      {'F', "companion",
       {{"Pip", G::kMale},     {"Bramble", G::kMale}, {"Tansy", G::kFemale}, {"Fern", G::kFemale},
        {"Puck", G::kMale},    {"Clover", G::kFemale}, {"Hazel", G::kFemale},
        {"Sorrel", G::kMale},  {"Juniper", G::kNeutral}}},
      {'R', "ruler",
       {{"King Roland", G::kMale},  {"Queen Mara", G::kFemale}, {"King Alder", G::kMale},
        {"Queen Elinor", G::kFemale}, {"King Osric", G::kMale}, {"Queen Liora", G::kFemale}}},
      {'W', "wise one",
       {{"Merla", G::kFemale}, {"Tobin", G::kMale},   {"Hollis", G::kNeutral},
        {"Ysolde", G::kFemale}, {"Alaric", G::kMale}, {"Balthus", G::kMale}}},
  };

  s.rules = {
      {"story",
       {"{opening} {background}\n\n{problem} {upset}\n\n{attempt} {helper}\n\n{journey}\n\n"
        "{turn} {resolution}\n\n{ending}",
        "{opening}\n\n{problem} {upset} {attempt}\n\n{helper} {journey} {obstacle}\n\n{turn} "
        "{resolution} {ending}",
        "{opening}\n\n{problem} {helper}\n\n{journey} {obstacle} {turn}\n\n{resolution} "
        "{?moral} {ending}"}},
      {"title.f", {"princess"}},
      {"title.m", {"prince"}},
      {"title.n", {"knight"}},
      {"parent.m", {"father"}},
      {"parent.f", {"mother"}},
      {"tag", {"said", "said softly", "said kindly", "said with a smile"}},
      {"food", {"a loaf of bread", "a basket of apples", "some bread and cheese",
                "a jar of honey cakes"}},
      {"cloak", {"a warm cloak", "a red cloak", "a green hooded cloak", "a thick wool cloak"}},
      {"beast", {"little red fox", "wise old owl", "white rabbit", "tiny fairy", "clever black cat",
                 "brave gray mouse", "friendly frog"}},
      {"mage.m", {"wizard"}},
      {"mage.f", {"good witch"}},
      {"mage.n", {"wizard"}},
      {"trait", {"kind", "brave", "clever", "gentle", "curious", "cheerful", "honest", "bold",
                 "thoughtful", "cheerful", "loyal"}},
      {"land", {"far, far away", "beyond the misty hills", "beside a silver river",
                "between two snowy mountains", "at the edge of a green forest"}},
      {"kingdom", {"Bellmoor", "Fairvale", "Elmsworth", "Rosewood", "Silverbrook", "Thornhill"}},
      {"castle", {"a tall white castle", "a castle with seven towers", "a castle of pink stone",
                  "a castle on a green hill", "an old castle covered in ivy"}},
      {"when", {"One morning", "One day", "One fine day", "Early one morning"}},
      {"opening",
       {"Once upon a time, in a kingdom {land}, there lived a {trait} {H:title} named {H}.",
        "Long ago, in the kingdom of {@kingdom}, there was a {trait} young {H:title} called {H}.",
        "Once upon a time, a {trait} {H:title} named {H} lived in {castle} with {H.his} "
        "{R:parent}, {R}.",
        "There was once a {H:title} named {H} who lived in {castle} {land}.",
        "Once upon a time, in the enchanted kingdom of {@kingdom}, lived a {H:title} named {H} "
        "who was as {pair}."}},
      {"pair", {"kind as {H.he} {H.was} brave", "clever as {H.he} {H.was} kind",
                "brave as {H.he} {H.was} gentle", "curious as {H.he} {H.was} clever"}},
      {"background",
       {"{H.His} best friend was a {F:beast} named {F}, who could talk.",
        "Every day, {H} walked in the enchanted forest with {H.his} friend {F}, a {F:beast}.",
        "{H.His} {R:parent}, {R}, was wise and kind, and the whole kingdom loved {R.him}.",
        "{H} loved to read old books of magic in the castle library.",
        "{H} had a little wooden sword and dreamed of one day becoming a real knight.",
        "{H} could talk to the birds of the forest, and they told {H.him} all the news of the "
        "kingdom.",
        "Every evening, {H} sat by the castle fire and listened to old stories of dragons and "
        "giants."}},
      {"upset",
       {"{R} did not know what to do, and the people of the kingdom were frightened.",
        R"("Someone must help," said {R}. {H} stepped forward. "I will go," {H.he} {tag}.)",
        "{H} saw how sad everyone was, and {H.he} decided to set things right.",
        R"("I am not afraid," {H} said, although {H.his} knees were shaking.)",
        "That night, {H} could not sleep. {H.He} looked out of the tower window and made a "
        "plan.",
        R"("Do not be sad," {H} told {R}. "I will find a way.")",
        "The whole castle was quiet and worried, but {H} felt a spark of courage.",
        "{H} wiped away a tear and stood up tall.",
        R"("We must do something," {H} said to {F}.)",
        "{H} remembered the old stories and knew what a true hero must do."}},
      {"journey",
       {"So {H} set off through the enchanted forest with {F}, the {F:beast}.",
        "{H} packed {food} and {cloak} and set off at dawn with {F}.",
        "{H} rode out of the castle gates on a white horse, with {F} close beside {H.him}.",
        "Early the next morning, {H} and {F} walked out of the castle and followed the old "
        "forest road.",
        "{H} put on {cloak} and walked out of the castle with {F} by {H.his} side.",
        "With {F} at {H.his} side, {H} followed the {path} into the enchanted forest."}},
      {"obstacle",
       {"The path was dark, and the trees whispered strange things, but {H} kept walking.",
        "They crossed a wide river on slippery stepping stones and climbed a steep, rocky hill.",
        "On the way, a grumpy goblin tried to send them the wrong way, but {F} knew the right "
        "path.",
        "Soon the forest grew so thick that no light came through, so {F} lit a tiny glowing "
        "lantern.",
        "At a bridge, a sleepy troll asked them a riddle, and {H} answered it at once.",
        "They walked past a field of singing flowers, where {H} had to cover {H.his} ears so "
        "as not to fall asleep.",
        "A wicked goblin stole their {food2}, but {F} found a bush full of sweet berries."}},
      {"food2", {"bread", "apples", "supper"}},
      {"path", {"winding path", "old stone road", "silver stream", "mossy footpath"}},
      {"moral",
       {"A kind heart is the strongest magic of all.",
        "Even the smallest person can change the whole kingdom.",
        "Being brave does not mean you are never afraid. It means you keep going.",
        "Kindness opens doors that swords cannot."}},
      {"ending",
       {"And {H} and everyone in the kingdom lived happily ever after.",
        "From that day on, {H} was known as the bravest {H:title} in all the kingdom.",
        "The whole kingdom had a great feast, and {H} danced until the stars came out.",
        "{R} thanked {H}, and the bells of the castle rang all night long.",
        "And if you visit the kingdom of {@kingdom} today, they still tell the story of brave "
        "{H}.",
        "And {H} and {F} stayed the best of friends for the rest of their days.",
        "That night, the stars shone brighter than ever over the castle, and {H} slept "
        "soundly.",
        "The minstrels made up a song about {H}, and the whole kingdom sang it for years.",
        "And whenever {H} walked in the forest after that, the birds sang {H.his} name."}},
  };

  s.plots = {
      {"dragon",
       {{"loot", {"the golden bell", "the magic mirror", "the royal harp", "the silver crown",
                  "the great ruby"}},
        {"color", {"red", "green", "purple", "golden", "silver", "black"}},
        {"problem",
         {"{when}, a great {@color} dragon flew over the kingdom and took {@loot} from the "
          "tallest tower of the castle.",
          "One stormy night, a {@color} dragon landed on the castle roof. When it flew away, "
          "{@loot} was gone."}},
        {"attempt",
         {"{R}'s knights rode to the dragon's mountain, but they came back with their "
          "shields black with smoke.",
          "{R} offered a bag of gold to anyone who could bring back {@loot}, but nobody dared to "
          "go."}},
        {"helper",
         {R"({W} the {W:mage} came to see {H}. "Dragons do not steal without a reason," {W.he} {tag}. "Go and ask it why.")",
          R"({F} tugged at {H}'s sleeve. "I have heard that dragon crying at night," {F.he} whispered. "Maybe it is not wicked at all.")"}},
        {"turn",
         {"At last they reached the dragon's cave. {H} saw that the dragon had a big thorn stuck "
          "in its paw, and very gently {H.he} pulled it out.",
          "At last they reached the dragon's cave. {H} did not draw a sword. Instead, {H.he} sat "
          "down and asked the dragon what was wrong, and the dragon said it was terribly "
          "lonely."}},
        {"resolution",
         {"The dragon smiled a smoky smile and gave back {@loot}. It even carried {H} home on "
          "its back, high above the clouds.",
          "The dragon was so happy to have a friend that it gave back {@loot} at once. After "
          "that, it came to visit {H} every spring."}}}},
      {"sleeping_spell",
       {{"problem",
         {"One evening, a wicked sorcerer cast a sleeping spell over the castle. Everyone "
          "yawned and fell fast asleep, even {R}, and only {H} stayed awake.",
          "One morning, a jealous old witch cast a spell on the kingdom. One by one, the people "
          "fell asleep and could not be woken."}},
        {"attempt",
         {"{H} shook {R} and called {R.his} name, but {R} only snored.",
          "{H} rang the great bell in the tower as loudly as {H.he} could, but nobody woke up."}},
        {"helper",
         {R"({W} the {W:mage} appeared in a puff of blue smoke. "Only the moonflower on the Misty Mountain can break this spell," {W.he} {tag}.)",
          R"({F} opened an old book of magic. "Look!" {F.he} {tag}. "A moonflower can break any sleeping spell.")"}},
        {"turn",
         {"At the very top of the mountain, a silver moonflower was glowing in the snow. {H} "
          "picked it carefully and carried it all the way home.",
          "At the top of the mountain, the moonflower would only open for a song. So {H} sang "
          "softly, and the petals opened."}},
        {"resolution",
         {"Back at the castle, {H} held up the moonflower. Its light filled every room, and "
          "everyone woke up, rubbing their eyes.",
          "When the moonflower's sweet smell floated through the castle, the spell broke. {R} "
          "opened {R.his} eyes and smiled at {H}."}}}},
      {"endless_winter",
       {{"problem",
         {"One year, spring never came to the kingdom. A frost giant had hidden the sun stone, "
          "and snow covered every field and every roof.",
          "One winter, a cold spell fell over the kingdom. The rivers froze, the birds stopped "
          "singing, and the snow would not melt."}},
        {"attempt",
         {"The people lit great fires in the castle yard, but the snow kept falling.",
          "{R} sent riders to every corner of the kingdom, but no one knew how to bring back the "
          "spring."}},
        {"helper",
         {R"({W} the {W:mage} looked into a crystal ball. "The sun stone is hidden in the ice cave of the frost giant," {W.he} {tag}.)",
          R"({F} hopped up onto the windowsill. "The birds told me where the sun stone is," {F.he} {tag}. "It is in the ice cave in the north.")"}},
        {"turn",
         {"In the ice cave, the frost giant was fast asleep, snoring like thunder. {H} tiptoed "
          "past and took the warm, glowing sun stone from its hiding place.",
          "In the ice cave, {H} found the frost giant, shivering and sad. {H} gave the giant "
          "{H.his} warm cloak, and the grateful giant handed over the sun stone."}},
        {"resolution",
         {"When {H} brought the sun stone home, the snow melted, the rivers sang again, and "
          "flowers covered the hills.",
          "As soon as the sun stone was back in the castle, warm light spread over the "
          "kingdom, and spring came at last."}}}},
      {"lost_crown",
       {{"problem",
         {"On the morning of the great feast, {R}'s golden crown was gone. Only a single black "
          "feather lay on the velvet pillow.",
          "{when}, {R}'s crown fell from the castle window and rolled deep into the enchanted "
          "forest."}},
        {"attempt",
         {"The servants searched every room of the castle, from the cellar to the tallest "
          "tower, but the crown was nowhere.",
          "{H} searched under every bush in the royal garden, but the crown was not there."}},
        {"helper",
         {R"({W} the {W:mage} tapped {W.his} wand on the floor. "Follow the shiny things," {W.he} said, "and you will find the crown.")",
          R"({F} sniffed the air. "I know who loves shiny things," {F.he} {tag}. "The magpie queen of the forest!")"}},
        {"turn",
         {"High in an old oak tree, {H} found a nest full of buttons, spoons and rings, and in "
          "the middle sat the crown. The magpie agreed to trade it for {H.his} bright silver "
          "bracelet.",
          "Deep in the forest, a family of goblins was using the crown as a soup pot. {H} "
          "offered them a real pot, and they happily gave the crown back."}},
        {"resolution",
         {"{H} hurried home and placed the crown on {R}'s head just as the feast began.",
          "When {R} saw the crown, {R.he} laughed with joy and hugged {H} tight."}}}},
      {"frog_friend",
       {{"problem",
         {"{when}, {W} the {W:mage} sneezed in the middle of a spell, and {F}, "
          "{H}'s dear friend, was turned into a little green frog.",
          "{when}, a grumpy wizard cast a spell on {F}, {H}'s best friend, and turned {F.him} "
          "into a frog with a very loud croak."}},
        {"attempt",
         {"{H} tried every magic word {H.he} knew, but {F} only croaked.",
          "{H} gave the frog a kiss on the head, just like in the old stories, but nothing "
          "happened."}},
        {"helper",
         {R"({W} the {W:mage} studied the frog carefully. "To undo this spell, I need a potion made with a golden feather from the phoenix on the glass hill," {W.he} {tag}.)",
          R"("We need a potion of starlight," said {W}, the {W:mage}. "And the last drop of starlight is in the well at the end of the world.")"}},
        {"turn",
         {"The road was long, but {H} carried the frog in a pocket and told it stories the "
          "whole way. At last, {H} found what the potion needed.",
          "At the end of the journey, {H} was tired and cold, but {H.he} did not give up, and "
          "{H.he} found exactly what {W} had asked for."}},
        {"resolution",
         {"{W} mixed the potion, and with a pop and a puff of pink smoke, the frog became {F} "
          "again.",
          "One drop of the potion, and {F} was back, laughing and hugging {H}."}},
        {"journey",
         {"{H} put the frog in {H.his} pocket and set off at dawn.",
          "{H} packed a loaf of bread, tucked the frog into {H.his} hood and set off through the "
          "enchanted forest."}},
        {"obstacle",
         {"The path was dark, and the trees whispered strange things, but {H} kept walking.",
          "They crossed a wide river on slippery stepping stones, and the frog croaked the whole "
          "way across.",
          "At a bridge, a sleepy troll asked a riddle, and {H} answered it at once."}}}},
      {"sick_unicorn",
       {{"problem",
         {"{when}, the last unicorn in the kingdom fell sick. Its silver horn stopped shining, "
          "and the flowers of the forest began to fade.",
          "{when}, {H} found the white unicorn of the forest lying in the grass, too weak "
          "to stand."}},
        {"attempt",
         {"{H} brought the unicorn fresh water and sweet apples, but it would not eat.",
          "The royal doctors tried every medicine they had, but the unicorn grew weaker."}},
        {"helper",
         {R"({W} the {W:mage} stroked the unicorn's mane. "Only the water of the crystal spring can heal it," {W.he} {tag}.)",
          R"({F} whispered, "Unicorns drink from the crystal spring behind the waterfall. That water can heal anything.")"}},
        {"turn",
         {"Behind the roaring waterfall, {H} found the crystal spring and filled a little glass "
          "bottle with its shining water.",
          "Behind the waterfall, a stone giant guarded the crystal spring. {H} asked politely, "
          "and the giant let {H.him} fill a bottle."}},
        {"resolution",
         {"When the unicorn drank the water, its horn began to glow, and it stood up and "
          "galloped in a happy circle.",
          "One sip, and the unicorn's horn shone brighter than ever. All around it, the faded "
          "flowers bloomed again."}}}},
      {"tower_prisoner",
       {{"problem",
         {"{when}, a wicked witch locked {H} in a tall stone tower with no door and only one "
          "tiny window.",
          "One night, a troll carried {H} away and locked {H.him} at the top of a crooked tower "
          "deep in the forest."}},
        {"upset",
         {"{H} looked out of the window, but the ground was very far below.",
          R"("How will I ever get home?" {H} whispered to the stars.)"}},
        {"attempt",
         {"{H} called for help, but only the wind answered.",
          "{H} tried to climb down the wall, but the stones were smooth and slippery."}},
        {"helper",
         {R"(Then {F}, a {F:beast}, appeared at the window. "Don't worry," {F.he} {tag}. "I will bring help.")",
          R"(Then a little bluebird flew in through the window. "Your friend {F} sent me," it sang. "We have a plan.")"}},
        {"journey",
         {"{F} hurried through the forest to find {W} the {W:mage}.",
          "While {F} ran for help, {H} began to braid the curtains into a long rope."}},
        {"obstacle",
         {"The witch kept watch all day, so they had to wait until night.",
          "A raven guarded the tower, but {F} tricked it into chasing a shiny button."}},
        {"turn",
         {"When the moon came up, {W} waved a magic wand, and a door appeared in the tower "
          "wall. {H} ran down the stairs and out into the night.",
          "When the moon came up, {H} climbed down the curtain rope, and {F} was waiting at the "
          "bottom."}},
        {"resolution",
         {"They ran all the way back to the castle, and {R} cried with joy to see {H} safe.",
          "By morning, {H} was home again, and the wicked tower crumbled into dust."}}}},
      {"stolen_stars",
       {{"problem",
         {"One night, a greedy wizard climbed the highest tower and gathered every star from the "
          "sky into a glass jar. The kingdom was as dark as a cave.",
          "One evening, the stars did not come out. A greedy wizard had locked them all in a "
          "jar, so that nobody else could enjoy them."}},
        {"attempt",
         {"The people lit candles and lanterns, but the night stayed cold and dark.",
          "{R}'s knights knocked on the wizard's door, but the wizard only laughed and locked "
          "it tighter."}},
        {"helper",
         {R"({W} the {W:mage} whispered, "That wizard is not wicked, only lonely. Nobody has visited that tower for a hundred years.")",
          R"({F} said, "The wizard is lonely. Maybe no one has ever shared anything with that poor old wizard.")"}},
        {"turn",
         {"{H} climbed the tower and knocked politely. Then {H} sat down and listened to all "
          "of the old wizard's stories, one after another, until the sun came up.",
          "{H} climbed the tower with a basket of warm bread and a pot of tea, and sat down to "
          "share them with the lonely wizard."}},
        {"resolution",
         {"Then the wizard opened the jar, and the stars flew up into the sky like sparks from a "
          "fire. The whole kingdom cheered.",
          "Soon the wizard was smiling for the first time in years. The jar was opened at last, "
          "and the stars drifted back into the sky, one by one."}}}},
  };
  return s;
}

}  // namespace

const StyleSpec& fairy_tale_style() {
  static const StyleSpec style = make_fairy_tale();
  return style;
}

}  // namespace loralab::stories
